"""Microsoft's licensing facts for tests/fakegraph.py: which service plans each SKU holds, and which
service plans depend on which. Written from Microsoft's documentation, independently of reconciler/.

SKUS: skuPartNumber -> skuId and service plans, from "Product names and service plan identifiers for
licensing" (Microsoft Entra documentation, updated 2025-10-29):
  https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference
  source: https://github.com/MicrosoftDocs/entra-docs/blob/main/docs/identity/users/licensing-service-plan-reference.md
The plan lists were taken from the CSV that page links to ("Product names and service plan identifiers
for licensing.csv", download.microsoft.com; the copy read was committed 2025-12-30 in
github.com/nubrixsecurity/zero-trust-assessment). These rows were checked against the markdown table
itself: MCOPSTNC, MCOMEETADV, BUSINESS_VOICE_MED2, BUSINESS_VOICE_MED2_TELCO, BUSINESS_VOICE, SPE_E3,
MCOPSTN1, MCOPSTN2, MCOPSTN5, MCOTEAMS_ESSENTIALS and the pay-as-you-go calling plan. One correction came
from that check: the markdown lists MCOEV in BUSINESS_VOICE_MED2_TELCO, the CSV copy does not; the
markdown wins. (Checked against the product's catalog afterwards: every skuId below that the catalog
also knows is the same.)

Only the SKUs the project's tests, cases, examples and tenant specs use are listed. Part numbers used
there that Microsoft's table does not list (so the fake knows no service plans for them, hence no
dependencies): POWER_BI_PRO_TRIAL (not in the table). Names used in tests only as deliberate mistakes
(MCOPSTN11, ENTERPRISEPREMIUN, "VISIO PLAN2") are not SKUs.

The table lists the string id MCOPSTN5 twice: "Skype for Business PSTN Domestic Calling (120 Minutes)"
(GUID 54a152dc-90de-4996-93d2-bc47e670fc06, which is also its service plan's id) and "Skype for Business
PSTN Calling Domestic Small" (GUID d43177b5-475b-4880-92d4-d54c27b5efbd, plan 9a0125a5-...). MCOPSTN5 below
is the first (its service plan is the one named MCOPSTN5); both plans count as calling plans.
"""

from __future__ import annotations

from typing import NamedTuple


class _Sku(NamedTuple):
    sku_id: str
    product_name: str
    plans: dict[str, str]  # servicePlanId (lower case) -> servicePlanName


# ----- service plan ids (Microsoft's table, "Service plans included") --------------------------------
PHONE_SYSTEM = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"  # MCOEV, "Microsoft 365 Phone System" (Teams Phone)
AUDIO_CONFERENCING = "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40"  # MCOMEETADV, "Microsoft 365 Audio Conferencing"
AUDIO_CONFERENCING_PPM = "bb038288-76ab-49d6-afc1-eaa6c222c65a"  # MCOMEETACPEA, "... Audio Conferencing Pay-Per-Minute"
COMMUNICATIONS_CREDITS = "505e180f-f7e0-4b65-91d4-00d670bbd18c"  # MCOPSTNC, "COMMUNICATIONS CREDITS"
CALLING_PLANS = {
    "4ed3ff63-69d7-4fb7-b984-5aec7f605ca8": "MCOPSTN1",  # Domestic Calling Plan
    "5a10155d-f5c1-411a-a8ec-e99aae125390": "MCOPSTN2",  # Domestic and International Calling Plan
    "54a152dc-90de-4996-93d2-bc47e670fc06": "MCOPSTN5",  # Domestic Calling Plan (120 minutes)
    "9a0125a5-c8f8-4526-b231-49e2abe0ebce": "Skype for Business PSTN Calling Domestic Small",
    # Domestic Calling Plan (120 min) at User Level, inside the E5 "with Calling Minutes" suites
    "16935b20-87c0-4908-934a-22aa267d0d26": "MCOPSTN8",
    "346d83bf-6fe6-42ca-b424-b9300d2e21bf": "MCOPSTN6",  # Domestic Calling Plan (240 min)
    "156a1efe-17cd-4b03-9f17-2eb512298fb3": "MCOPSTN_PAYG_1",  # Calling Plan pay-as-you-go, country zone 1
}


class Dependency(NamedTuple):
    """Service plan `plan` works only next to at least one of `needs` (Graph: "depends on the service plan(s)")."""

    plan: str
    needs: frozenset[str]
    source: str


# ----- dependencies between service plans ----------------------------------------------------------
# Microsoft publishes no machine-readable dependency table (asked for in MicrosoftDocs/azure-docs#23999,
# https://github.com/MicrosoftDocs/azure-docs/issues/23999). Each rule below is one a Microsoft article
# states in words; the quote and address are kept with it. Where the articles are silent, nothing is
# invented:
#  * Teams Phone (MCOEV) itself needs a Teams base license; Graph reports such a dependency ("service plan
#    4828c8ec-... depends on the service plan(s) ..."), but no Microsoft article names the base service
#    plans, so it is not modelled.
#  * Pay-as-you-go Calling Plans need a funding source (Communications Credits under MOSA/EA, telco overage
#    under MCA): that is a billing requirement that depends on the agreement, not a service plan
#    dependency of the user's licenses, so it is not modelled. (For Teams *resource accounts* Microsoft
#    states the reverse: "To activate a Communications Credits license, a Pay-As-You-Go Calling Plan
#    license is required as a prerequisite" -
#    https://learn.microsoft.com/azure/communication-services/concepts/interop/tpe/teams-phone-extensibility-connectivity-cost
#    - resource accounts are not users of this fake.)
#  * Audio Conferencing pay-per-minute (MCOMEETACPEA) and a per-user Communications Credits license: the
#    same Microsoft article says both "Pay-per-minute requires your organization to have Communications
#    Credits enabled with a license assigned to each user in order for Audio Conferencing to work" and
#    "If you have Audio Conferencing pay-per-minute licenses, you don't have to assign Communications
#    Credits licenses separately to each user specifically for Audio Conferencing usage (you might still
#    need to assign them for other services)" -
#    https://learn.microsoft.com/microsoftteams/audio-conferencing-pay-per-minute
#    (github.com/MicrosoftDocs/OfficeDocs-SkypeForBusiness/blob/public/Teams/audio-conferencing-pay-per-minute.md);
#    the Teams SKU list says only that it "Requires Communications Credits to be set up and enabled" (a
#    tenant-level setup) -
#    https://learn.microsoft.com/microsoftteams/teams-add-on-licensing/assign-teams-add-on-licenses.
#    With the documentation contradicting itself, the fake does not refuse MCOMEETACPEA without MCOPSTNC.
#  * Microsoft Teams Audio Conferencing with dial-out to USA/CAN (MCOMEETBASIC) is an Audio Conferencing
#    license too, but no SKU the project uses contains it.
_CALLING_PLANS_NEED_TEAMS_PHONE = (
    "Calling Plans for Microsoft Teams, 'How to buy a Calling Plan': \"You must first purchase a Phone System "
    'add-on license ... After you buy Phone System licenses, you can buy the Calling Plan" - '
    "https://learn.microsoft.com/microsoftteams/calling-plans-for-office-365 "
    "(github.com/MicrosoftDocs/OfficeDocs-SkypeForBusiness/blob/public/Teams/calling-plans-for-office-365.md)"
)
_CREDITS_NEED_CONFERENCING_OR_CALLING_PLAN = (
    'Set up Communication Credits for your organization, Step 1: "Communication Credits are enabled for users '
    'who have either an Audio Conferencing license or Teams Calling Plan license." - '
    "https://learn.microsoft.com/microsoftteams/set-up-communications-credits-for-your-organization"
)

DEPENDENCIES: tuple[Dependency, ...] = (
    *(Dependency(plan, frozenset({PHONE_SYSTEM}), _CALLING_PLANS_NEED_TEAMS_PHONE) for plan in CALLING_PLANS),
    # "an Audio Conferencing license": per-user (MCOMEETADV) or pay-per-minute (MCOMEETACPEA: Microsoft calls
    # it an Audio Conferencing offer and names its service plan "Microsoft 365 Audio Conferencing
    # Pay-Per-Minute"; that it counts here is this fake's reading, the article does not list SKUs).
    Dependency(
        COMMUNICATIONS_CREDITS,
        frozenset({AUDIO_CONFERENCING, AUDIO_CONFERENCING_PPM, *CALLING_PLANS}),
        _CREDITS_NEED_CONFERENCING_OR_CALLING_PLAN,
    ),
)


# ----- SKUs ------------------------------------------------------------------------------------------
SKUS: dict[str, _Sku] = {
    "ENTERPRISEPREMIUM": _Sku(
        "c7df2760-2c81-4ef7-b578-5b5392b571df",
        "Office 365 E5",
        {
            "28b0fa46-c39a-4188-89e2-58e979a6b014": "DYN365_CDS_O365_P3",
            "afa73018-811e-46e9-988f-f75d2b1b8430": "CDS_O365_P3",
            "9f431833-0334-42de-a7dc-70aa40db46db": "LOCKBOX_ENTERPRISE",
            "cd31b152-6326-4d1b-ae1b-997b625182e6": "MIP_S_Exchange",
            "efb87545-963c-4e0d-99df-69c6916d9eb0": "EXCHANGE_S_ENTERPRISE",
            "a6520331-d7d4-4276-95f5-15c0933bc757": "GRAPH_CONNECTORS_SEARCH_INDEX",
            "c4801e8a-cb58-4c35-aca6-f2dcc106f287": "INFORMATION_BARRIERS",
            "d9fa6af4-e046-4c89-9226-729a0786685d": "Content_Explorer",
            "2b815d45-56e4-4e3a-b65c-66cb9175b560": "ContentExplorer_Standard",
            "efb0351d-3b08-4503-993d-383af8de41e3": "MIP_S_CLP2",
            "5136a095-5cf0-4aff-bec3-e84448b38ea5": "MIP_S_CLP1",
            "33c4f319-9bdd-48d6-9c4d-410b750a4a5a": "MYANALYTICS_P2",
            "a413a9ff-720c-4822-98ef-2f37c2a21f4c": "MICROSOFT_COMMUNICATION_COMPLIANCE",
            "2f442157-a11c-46b9-ae5b-6e39ff4e5849": "M365_ADVANCED_AUDITING",
            "43de0ff5-c92c-492b-9116-175376d08c38": "OFFICESUBSCRIPTION",
            "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40": "MCOMEETADV",
            "bf28f719-7844-4079-9c78-c1307898e192": "MTP",
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
            "bea4c11e-220a-4e6d-8eb8-8ea15d019f90": "RMS_S_ENTERPRISE",
            "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2": "MICROSOFTBOOKINGS",
            "6dc145d6-95dd-4191-b9c3-185575ee6f6b": "COMMUNICATIONS_DLP",
            "6db1f1db-2b46-403f-be40-e39395f08dbb": "CUSTOMER_KEY",
            "46129a58-a698-46f0-aa5b-17f6586297d9": "DATA_INVESTIGATIONS",
            "f20fedf3-f3c3-43c3-8267-2bfdd51c0939": "ATP_ENTERPRISE",
            "8e0c0a52-6a6c-4d40-8370-dd62790dcd70": "THREAT_INTELLIGENCE",
            "531ee2f8-b1cb-453b-9c21-d2180d014ca5": "EXCEL_PREMIUM",
            "e212cbc7-0961-4c40-9825-01117710dcb1": "FORMS_PLAN_E5",
            "e26c2fcc-ab91-4a61-b35c-03cdc8dddf66": "INFO_GOVERNANCE",
            "0898bdbb-73b0-471a-81e5-20f1fe4dd66e": "KAIZALA_STANDALONE",
            "34c0d7a0-a70f-4668-9238-47f9fc208882": "EXCHANGE_ANALYTICS",
            "b737dad2-2f6c-4c65-90e3-ca563267e8b9": "PROJECTWORKMANAGEMENT",
            "65cc641f-cccd-4643-97e0-a17e3045e541": "RECORDS_MANAGEMENT",
            "94065c59-bc8e-4e8b-89e5-5138d471eaff": "MICROSOFT_SEARCH",
            "8c7d2df8-86f0-4902-b2ed-a0458298f3b3": "Deskless",
            "6c6042f5-6f01-4d67-b8c1-eb99d36eed3e": "STREAM_O365_E5",
            "57ff2da0-773e-42df-b2af-ffb7a2317929": "TEAMS1",
            "882e1d05-acd1-4ccb-8708-6ee03664b117": "INTUNE_O365",
            "4de31727-a228-4ec3-a5bf-8e45b5ca48cc": "EQUIVIO_ANALYTICS",
            "8c098270-9dd4-4350-9b30-ba4703f3b36b": "ADALLOM_S_O365",
            "b1188c4c-1b36-4018-b48b-ee07604f6feb": "PAM_ENTERPRISE",
            "e95bec33-7c88-4a70-8e19-b10bd9d0c014": "SHAREPOINTWAC",
            "07699545-9485-468e-95b6-2fca3738be01": "FLOW_O365_P3",
            "70d33638-9c74-4d01-bfd3-562de28bd4ba": "BI_AZURE_P2",
            "ded3d325-1bdc-453e-8432-5bac26d7a014": "POWER_VIRTUAL_AGENTS_O365_P3",
            "9c0dab89-a30c-4117-86e7-97bda240acd2": "POWERAPPS_O365_P3",
            "617b097b-4b93-4ede-83de-5f075bb5fb2f": "PREMIUM_ENCRYPTION",
            "b21a6b06-1988-436e-a07b-51ec6d9f52ad": "PROJECT_O365_P3",
            "41fcdd7d-4733-4863-9cf4-c65b83ce2df4": "COMMUNICATIONS_COMPLIANCE",
            "5dbe027f-2339-4123-9542-606e4d348a72": "SHAREPOINTENTERPRISE",
            "0feaeb32-d00e-4d66-bd5a-43b5b83db82c": "MCOSTANDARD",
            "a23b959c-7ce8-4e57-9140-b90eb88a9e97": "SWAY",
            "3fb82609-8c27-4f7b-bd51-30634711ee67": "BPOS_S_TODO_3",
            "a82fbf69-b4d7-49f4-83a6-915b2cf354f4": "VIVAENGAGE_CORE",
            "b76fb638-6ba6-402a-b9f9-83d28acb3d86": "VIVA_LEARNING_SEEDED",
            "4a51bca5-1eff-43f5-878c-177680f191af": "WHITEBOARD_PLAN3",
            "7547a3fe-08ee-4ccb-b430-5077c5041653": "YAMMER_ENTERPRISE",
        },
    ),
    "ENTERPRISEPREMIUM_NOPSTNCONF": _Sku(
        "26d45bd9-adf1-46cd-a9e1-51e9a5524128",
        "Office 365 E5 Without Audio Conferencing",
        {
            "bea4c11e-220a-4e6d-8eb8-8ea15d019f90": "RMS_S_ENTERPRISE",
            "afa73018-811e-46e9-988f-f75d2b1b8430": "CDS_O365_P3",
            "9f431833-0334-42de-a7dc-70aa40db46db": "LOCKBOX_ENTERPRISE",
            "cd31b152-6326-4d1b-ae1b-997b625182e6": "MIP_S_Exchange",
            "efb87545-963c-4e0d-99df-69c6916d9eb0": "EXCHANGE_S_ENTERPRISE",
            "a6520331-d7d4-4276-95f5-15c0933bc757": "GRAPH_CONNECTORS_SEARCH_INDEX",
            "c4801e8a-cb58-4c35-aca6-f2dcc106f287": "INFORMATION_BARRIERS",
            "d9fa6af4-e046-4c89-9226-729a0786685d": "Content_Explorer",
            "2b815d45-56e4-4e3a-b65c-66cb9175b560": "ContentExplorer_Standard",
            "efb0351d-3b08-4503-993d-383af8de41e3": "MIP_S_CLP2",
            "5136a095-5cf0-4aff-bec3-e84448b38ea5": "MIP_S_CLP1",
            "33c4f319-9bdd-48d6-9c4d-410b750a4a5a": "MYANALYTICS_P2",
            "2f442157-a11c-46b9-ae5b-6e39ff4e5849": "M365_ADVANCED_AUDITING",
            "43de0ff5-c92c-492b-9116-175376d08c38": "OFFICESUBSCRIPTION",
            "a413a9ff-720c-4822-98ef-2f37c2a21f4c": "MICROSOFT_COMMUNICATION_COMPLIANCE",
            "bf28f719-7844-4079-9c78-c1307898e192": "MTP",
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
            "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2": "MICROSOFTBOOKINGS",
            "6dc145d6-95dd-4191-b9c3-185575ee6f6b": "COMMUNICATIONS_DLP",
            "6db1f1db-2b46-403f-be40-e39395f08dbb": "CUSTOMER_KEY",
            "46129a58-a698-46f0-aa5b-17f6586297d9": "DATA_INVESTIGATIONS",
            "f20fedf3-f3c3-43c3-8267-2bfdd51c0939": "ATP_ENTERPRISE",
            "8e0c0a52-6a6c-4d40-8370-dd62790dcd70": "THREAT_INTELLIGENCE",
            "531ee2f8-b1cb-453b-9c21-d2180d014ca5": "EXCEL_PREMIUM",
            "e212cbc7-0961-4c40-9825-01117710dcb1": "FORMS_PLAN_E5",
            "e26c2fcc-ab91-4a61-b35c-03cdc8dddf66": "INFO_GOVERNANCE",
            "0898bdbb-73b0-471a-81e5-20f1fe4dd66e": "KAIZALA_STANDALONE",
            "34c0d7a0-a70f-4668-9238-47f9fc208882": "EXCHANGE_ANALYTICS",
            "b737dad2-2f6c-4c65-90e3-ca563267e8b9": "PROJECTWORKMANAGEMENT",
            "65cc641f-cccd-4643-97e0-a17e3045e541": "RECORDS_MANAGEMENT",
            "94065c59-bc8e-4e8b-89e5-5138d471eaff": "MICROSOFT_SEARCH",
            "8c7d2df8-86f0-4902-b2ed-a0458298f3b3": "Deskless",
            "6c6042f5-6f01-4d67-b8c1-eb99d36eed3e": "STREAM_O365_E5",
            "57ff2da0-773e-42df-b2af-ffb7a2317929": "TEAMS1",
            "882e1d05-acd1-4ccb-8708-6ee03664b117": "INTUNE_O365",
            "db4d623d-b514-490b-b7ef-8885eee514de": "Nucleus",
            "4de31727-a228-4ec3-a5bf-8e45b5ca48cc": "EQUIVIO_ANALYTICS",
            "8c098270-9dd4-4350-9b30-ba4703f3b36b": "ADALLOM_S_O365",
            "b1188c4c-1b36-4018-b48b-ee07604f6feb": "PAM_ENTERPRISE",
            "e95bec33-7c88-4a70-8e19-b10bd9d0c014": "SHAREPOINTWAC",
            "9c0dab89-a30c-4117-86e7-97bda240acd2": "POWERAPPS_O365_P3",
            "70d33638-9c74-4d01-bfd3-562de28bd4ba": "BI_AZURE_P2",
            "617b097b-4b93-4ede-83de-5f075bb5fb2f": "PREMIUM_ENCRYPTION",
            "b21a6b06-1988-436e-a07b-51ec6d9f52ad": "PROJECT_O365_P3",
            "41fcdd7d-4733-4863-9cf4-c65b83ce2df4": "COMMUNICATIONS_COMPLIANCE",
            "5dbe027f-2339-4123-9542-606e4d348a72": "SHAREPOINTENTERPRISE",
            "0feaeb32-d00e-4d66-bd5a-43b5b83db82c": "MCOSTANDARD",
            "a23b959c-7ce8-4e57-9140-b90eb88a9e97": "SWAY",
            "3fb82609-8c27-4f7b-bd51-30634711ee67": "BPOS_S_TODO_3",
            "b76fb638-6ba6-402a-b9f9-83d28acb3d86": "VIVA_LEARNING_SEEDED",
            "4a51bca5-1eff-43f5-878c-177680f191af": "WHITEBOARD_PLAN3",
            "7547a3fe-08ee-4ccb-b430-5077c5041653": "YAMMER_ENTERPRISE",
            "28b0fa46-c39a-4188-89e2-58e979a6b014": "DYN365_CDS_O365_P3",
            "07699545-9485-468e-95b6-2fca3738be01": "FLOW_O365_P3",
            "ded3d325-1bdc-453e-8432-5bac26d7a014": "POWER_VIRTUAL_AGENTS_O365_P3",
        },
    ),
    "SPE_E5": _Sku(
        "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "Microsoft 365 E5",
        {
            "dcf9d2f4-772e-4434-b757-77a453cfbc02": "MESH_AVATARS_FOR_TEAMS",
            "3efbd4ed-8958-4824-8389-1321f8730af8": "MESH_AVATARS_ADDITIONAL_FOR_TEAMS",
            "bea4c11e-220a-4e6d-8eb8-8ea15d019f90": "RMS_S_ENTERPRISE",
            "0d0c0d31-fae7-41f2-b909-eaf4d7f26dba": "Bing_Chat_Enterprise",
            "afa73018-811e-46e9-988f-f75d2b1b8430": "CDS_O365_P3",
            "9f431833-0334-42de-a7dc-70aa40db46db": "LOCKBOX_ENTERPRISE",
            "3ec18638-bd4c-4d3b-8905-479ed636b83e": "CustomerLockboxA_Enterprise",
            "cd31b152-6326-4d1b-ae1b-997b625182e6": "MIP_S_Exchange",
            "efb87545-963c-4e0d-99df-69c6916d9eb0": "EXCHANGE_S_ENTERPRISE",
            "a6520331-d7d4-4276-95f5-15c0933bc757": "GRAPH_CONNECTORS_SEARCH_INDEX",
            "f0ff6ac6-297d-49cd-be34-6dfef97f0c28": "MESH_IMMERSIVE_FOR_TEAMS",
            "c4801e8a-cb58-4c35-aca6-f2dcc106f287": "INFORMATION_BARRIERS",
            "d9fa6af4-e046-4c89-9226-729a0786685d": "Content_Explorer",
            "2b815d45-56e4-4e3a-b65c-66cb9175b560": "ContentExplorer_Standard",
            "efb0351d-3b08-4503-993d-383af8de41e3": "MIP_S_CLP2",
            "5136a095-5cf0-4aff-bec3-e84448b38ea5": "MIP_S_CLP1",
            "33c4f319-9bdd-48d6-9c4d-410b750a4a5a": "MYANALYTICS_P2",
            "2f442157-a11c-46b9-ae5b-6e39ff4e5849": "M365_ADVANCED_AUDITING",
            "43de0ff5-c92c-492b-9116-175376d08c38": "OFFICESUBSCRIPTION",
            "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40": "MCOMEETADV",
            "f6de4823-28fa-440b-b886-4783fa86ddba": "M365_AUDIT_PLATFORM",
            "a413a9ff-720c-4822-98ef-2f37c2a21f4c": "MICROSOFT_COMMUNICATION_COMPLIANCE",
            "bf28f719-7844-4079-9c78-c1307898e192": "MTP",
            "6f23d6a9-adbf-481c-8538-b4c095654487": "M365_LIGHTHOUSE_CUSTOMER_PLAN1",
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
            "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2": "MICROSOFTBOOKINGS",
            "a1ace008-72f3-4ea0-8dac-33b3a23a2472": "CLIPCHAMP",
            "6dc145d6-95dd-4191-b9c3-185575ee6f6b": "COMMUNICATIONS_DLP",
            "6db1f1db-2b46-403f-be40-e39395f08dbb": "CUSTOMER_KEY",
            "46129a58-a698-46f0-aa5b-17f6586297d9": "DATA_INVESTIGATIONS",
            "f20fedf3-f3c3-43c3-8267-2bfdd51c0939": "ATP_ENTERPRISE",
            "8e0c0a52-6a6c-4d40-8370-dd62790dcd70": "THREAT_INTELLIGENCE",
            "531ee2f8-b1cb-453b-9c21-d2180d014ca5": "EXCEL_PREMIUM",
            "e212cbc7-0961-4c40-9825-01117710dcb1": "FORMS_PLAN_E5",
            "e26c2fcc-ab91-4a61-b35c-03cdc8dddf66": "INFO_GOVERNANCE",
            "d587c7a3-bda9-4f99-8776-9bcf59c84f75": "INSIDER_RISK",
            "0898bdbb-73b0-471a-81e5-20f1fe4dd66e": "KAIZALA_STANDALONE",
            "c4b8c31a-fb44-4c65-9837-a21f55fcabda": "MICROSOFT_LOOP",
            "d2d51368-76c9-4317-ada2-a12c004c432f": "ML_CLASSIFICATION",
            "34c0d7a0-a70f-4668-9238-47f9fc208882": "EXCHANGE_ANALYTICS",
            "b737dad2-2f6c-4c65-90e3-ca563267e8b9": "PROJECTWORKMANAGEMENT",
            "65cc641f-cccd-4643-97e0-a17e3045e541": "RECORDS_MANAGEMENT",
            "94065c59-bc8e-4e8b-89e5-5138d471eaff": "MICROSOFT_SEARCH",
            "8c7d2df8-86f0-4902-b2ed-a0458298f3b3": "Deskless",
            "6c6042f5-6f01-4d67-b8c1-eb99d36eed3e": "STREAM_O365_E5",
            "57ff2da0-773e-42df-b2af-ffb7a2317929": "TEAMS1",
            "882e1d05-acd1-4ccb-8708-6ee03664b117": "INTUNE_O365",
            "db4d623d-b514-490b-b7ef-8885eee514de": "Nucleus",
            "4de31727-a228-4ec3-a5bf-8e45b5ca48cc": "EQUIVIO_ANALYTICS",
            "8c098270-9dd4-4350-9b30-ba4703f3b36b": "ADALLOM_S_O365",
            "b1188c4c-1b36-4018-b48b-ee07604f6feb": "PAM_ENTERPRISE",
            "bf6f5520-59e3-4f82-974b-7dbbc4fd27c7": "SAFEDOCS",
            "e95bec33-7c88-4a70-8e19-b10bd9d0c014": "SHAREPOINTWAC",
            "9c0dab89-a30c-4117-86e7-97bda240acd2": "POWERAPPS_O365_P3",
            "70d33638-9c74-4d01-bfd3-562de28bd4ba": "BI_AZURE_P2",
            "617b097b-4b93-4ede-83de-5f075bb5fb2f": "PREMIUM_ENCRYPTION",
            "b21a6b06-1988-436e-a07b-51ec6d9f52ad": "PROJECT_O365_P3",
            "c948ea65-2053-4a5a-8a62-9eaaaf11b522": "PURVIEW_DISCOVERY",
            "41fcdd7d-4733-4863-9cf4-c65b83ce2df4": "COMMUNICATIONS_COMPLIANCE",
            "9d0c4ee5-e4a1-4625-ab39-d82b619b1a34": "INSIDER_RISK_MANAGEMENT",
            "5dbe027f-2339-4123-9542-606e4d348a72": "SHAREPOINTENTERPRISE",
            "0feaeb32-d00e-4d66-bd5a-43b5b83db82c": "MCOSTANDARD",
            "a23b959c-7ce8-4e57-9140-b90eb88a9e97": "SWAY",
            "3fb82609-8c27-4f7b-bd51-30634711ee67": "BPOS_S_TODO_3",
            "a82fbf69-b4d7-49f4-83a6-915b2cf354f4": "VIVAENGAGE_CORE",
            "b76fb638-6ba6-402a-b9f9-83d28acb3d86": "VIVA_LEARNING_SEEDED",
            "4a51bca5-1eff-43f5-878c-177680f191af": "WHITEBOARD_PLAN3",
            "7547a3fe-08ee-4ccb-b430-5077c5041653": "YAMMER_ENTERPRISE",
            "871d91ec-ec1a-452b-a83f-bd76c7d770ef": "WINDEFATP",
            "64bfac92-2b17-4482-b5e5-a0304429de3e": "MICROSOFTENDPOINTDLP",
            "795f6fe0-cc4d-4773-b050-5dde4dc704c9": "UNIVERSAL_PRINT_01",
            "21b439ba-a0ca-424f-a6cc-52f954a5b111": "WIN10_PRO_ENT_SUB",
            "9a6eeb79-0b4b-4bf0-9808-39d99a2cd5a3": "Windows_Autopatch",
            "7bf960f6-2cd9-443a-8046-5dbff9558365": "WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE",
            "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3": "RMS_S_PREMIUM",
            "5689bec4-755d-4753-8b61-40975025187c": "RMS_S_PREMIUM2",
            "28b0fa46-c39a-4188-89e2-58e979a6b014": "DYN365_CDS_O365_P3",
            "99cd49a9-0e54-4e07-aea1-d8d9f5f704f5": "Defender_for_Iot_Enterprise",
            "8a256a2b-b617-496d-b51b-e76466e88db0": "MFA_PREMIUM",
            "2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2": "ADALLOM_S_STANDALONE",
            "14ab5db5-e6c4-4b20-b4bc-13e36fd2227f": "ATA",
            "41781fb2-bc02-4b7c-bd55-b576c07bb09d": "AAD_PREMIUM",
            "eec0eb4f-6444-4f95-aba0-50c24d67f998": "AAD_PREMIUM_P2",
            "c1ec4a95-1f05-45b3-a911-aa3fa01094f5": "INTUNE_A",
            "07699545-9485-468e-95b6-2fca3738be01": "FLOW_O365_P3",
            "ded3d325-1bdc-453e-8432-5bac26d7a014": "POWER_VIRTUAL_AGENTS_O365_P3",
        },
    ),
    "SPE_E3": _Sku(
        "05e9a617-0261-4cee-bb44-138d3ef5d965",
        "Microsoft 365 E3",
        {
            "dcf9d2f4-772e-4434-b757-77a453cfbc02": "MESH_AVATARS_FOR_TEAMS",
            "3efbd4ed-8958-4824-8389-1321f8730af8": "MESH_AVATARS_ADDITIONAL_FOR_TEAMS",
            "bea4c11e-220a-4e6d-8eb8-8ea15d019f90": "RMS_S_ENTERPRISE",
            "95b76021-6a53-4741-ab8b-1d1f3d66a95a": "CDS_O365_P2",
            "efb87545-963c-4e0d-99df-69c6916d9eb0": "EXCHANGE_S_ENTERPRISE",
            "a6520331-d7d4-4276-95f5-15c0933bc757": "GRAPH_CONNECTORS_SEARCH_INDEX",
            "f0ff6ac6-297d-49cd-be34-6dfef97f0c28": "MESH_IMMERSIVE_FOR_TEAMS",
            "2b815d45-56e4-4e3a-b65c-66cb9175b560": "ContentExplorer_Standard",
            "5136a095-5cf0-4aff-bec3-e84448b38ea5": "MIP_S_CLP1",
            "33c4f319-9bdd-48d6-9c4d-410b750a4a5a": "MYANALYTICS_P2",
            "43de0ff5-c92c-492b-9116-175376d08c38": "OFFICESUBSCRIPTION",
            "6f23d6a9-adbf-481c-8538-b4c095654487": "M365_LIGHTHOUSE_CUSTOMER_PLAN1",
            "d55411c9-cfff-40a9-87c7-240f14df7da5": "M365_LIGHTHOUSE_PARTNER_PLAN1",
            "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2": "MICROSOFTBOOKINGS",
            "a1ace008-72f3-4ea0-8dac-33b3a23a2472": "CLIPCHAMP",
            "292cc034-7b7c-4950-aaf5-943befd3f1d4": "MDE_LITE",
            "2789c901-c14e-48ab-a76a-be334d9d793a": "FORMS_PLAN_E3",
            "aebd3021-9f8f-4bf8-bbe3-0ed2f4f047a1": "KAIZALA_O365_P3",
            "c4b8c31a-fb44-4c65-9837-a21f55fcabda": "MICROSOFT_LOOP",
            "b737dad2-2f6c-4c65-90e3-ca563267e8b9": "PROJECTWORKMANAGEMENT",
            "94065c59-bc8e-4e8b-89e5-5138d471eaff": "MICROSOFT_SEARCH",
            "8c7d2df8-86f0-4902-b2ed-a0458298f3b3": "Deskless",
            "9e700747-8b1d-45e5-ab8d-ef187ceec156": "STREAM_O365_E3",
            "57ff2da0-773e-42df-b2af-ffb7a2317929": "TEAMS1",
            "882e1d05-acd1-4ccb-8708-6ee03664b117": "INTUNE_O365",
            "db4d623d-b514-490b-b7ef-8885eee514de": "Nucleus",
            "e95bec33-7c88-4a70-8e19-b10bd9d0c014": "SHAREPOINTWAC",
            "31b4e2fc-4cd6-4e7d-9c1b-41407303bd66": "PROJECT_O365_P2",
            "0d0c0d31-fae7-41f2-b909-eaf4d7f26dba": "Bing_Chat_Enterprise",
            "5dbe027f-2339-4123-9542-606e4d348a72": "SHAREPOINTENTERPRISE",
            "0feaeb32-d00e-4d66-bd5a-43b5b83db82c": "MCOSTANDARD",
            "a23b959c-7ce8-4e57-9140-b90eb88a9e97": "SWAY",
            "c87f142c-d1e9-4363-8630-aaea9c4d9ae5": "BPOS_S_TODO_2",
            "a82fbf69-b4d7-49f4-83a6-915b2cf354f4": "VIVAENGAGE_CORE",
            "b76fb638-6ba6-402a-b9f9-83d28acb3d86": "VIVA_LEARNING_SEEDED",
            "94a54592-cd8b-425e-87c6-97868b000b91": "WHITEBOARD_PLAN2",
            "7547a3fe-08ee-4ccb-b430-5077c5041653": "YAMMER_ENTERPRISE",
            "795f6fe0-cc4d-4773-b050-5dde4dc704c9": "UNIVERSAL_PRINT_01",
            "21b439ba-a0ca-424f-a6cc-52f954a5b111": "WIN10_PRO_ENT_SUB",
            "9a6eeb79-0b4b-4bf0-9808-39d99a2cd5a3": "Windows_Autopatch",
            "7bf960f6-2cd9-443a-8046-5dbff9558365": "WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE",
            "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3": "RMS_S_PREMIUM",
            "4ff01e01-1ba7-4d71-8cf8-ce96c3bbcf14": "DYN365_CDS_O365_P2",
            "8a256a2b-b617-496d-b51b-e76466e88db0": "MFA_PREMIUM",
            "932ad362-64a8-4783-9106-97849a1a30b9": "ADALLOM_S_DISCOVERY",
            "41781fb2-bc02-4b7c-bd55-b576c07bb09d": "AAD_PREMIUM",
            "c1ec4a95-1f05-45b3-a911-aa3fa01094f5": "INTUNE_A",
            "c68f8d98-5534-41c8-bf36-22fa496fa792": "POWERAPPS_O365_P2",
            "76846ad7-7776-4c40-a281-a386362dd1b9": "FLOW_O365_P2",
            "041fe683-03e4-45b6-b1af-c0cdc516daee": "POWER_VIRTUAL_AGENTS_O365_P2",
        },
    ),
    "ENTERPRISEPACK": _Sku(
        "6fd2c87f-b296-42f0-b197-1e91e994b900",
        "Office 365 E3",
        {
            "dcf9d2f4-772e-4434-b757-77a453cfbc02": "MESH_AVATARS_FOR_TEAMS",
            "3efbd4ed-8958-4824-8389-1321f8730af8": "MESH_AVATARS_ADDITIONAL_FOR_TEAMS",
            "bea4c11e-220a-4e6d-8eb8-8ea15d019f90": "RMS_S_ENTERPRISE",
            "0d0c0d31-fae7-41f2-b909-eaf4d7f26dba": "Bing_Chat_Enterprise",
            "95b76021-6a53-4741-ab8b-1d1f3d66a95a": "CDS_O365_P2",
            "efb87545-963c-4e0d-99df-69c6916d9eb0": "EXCHANGE_S_ENTERPRISE",
            "f0ff6ac6-297d-49cd-be34-6dfef97f0c28": "MESH_IMMERSIVE_FOR_TEAMS",
            "2b815d45-56e4-4e3a-b65c-66cb9175b560": "ContentExplorer_Standard",
            "5136a095-5cf0-4aff-bec3-e84448b38ea5": "MIP_S_CLP1",
            "33c4f319-9bdd-48d6-9c4d-410b750a4a5a": "MYANALYTICS_P2",
            "43de0ff5-c92c-492b-9116-175376d08c38": "OFFICESUBSCRIPTION",
            "6f23d6a9-adbf-481c-8538-b4c095654487": "M365_LIGHTHOUSE_CUSTOMER_PLAN1",
            "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2": "MICROSOFTBOOKINGS",
            "2789c901-c14e-48ab-a76a-be334d9d793a": "FORMS_PLAN_E3",
            "aebd3021-9f8f-4bf8-bbe3-0ed2f4f047a1": "KAIZALA_O365_P3",
            "b737dad2-2f6c-4c65-90e3-ca563267e8b9": "PROJECTWORKMANAGEMENT",
            "94065c59-bc8e-4e8b-89e5-5138d471eaff": "MICROSOFT_SEARCH",
            "8c7d2df8-86f0-4902-b2ed-a0458298f3b3": "Deskless",
            "9e700747-8b1d-45e5-ab8d-ef187ceec156": "STREAM_O365_E3",
            "57ff2da0-773e-42df-b2af-ffb7a2317929": "TEAMS1",
            "882e1d05-acd1-4ccb-8708-6ee03664b117": "INTUNE_O365",
            "db4d623d-b514-490b-b7ef-8885eee514de": "Nucleus",
            "e95bec33-7c88-4a70-8e19-b10bd9d0c014": "SHAREPOINTWAC",
            "31b4e2fc-4cd6-4e7d-9c1b-41407303bd66": "PROJECT_O365_P2",
            "5dbe027f-2339-4123-9542-606e4d348a72": "SHAREPOINTENTERPRISE",
            "0feaeb32-d00e-4d66-bd5a-43b5b83db82c": "MCOSTANDARD",
            "a23b959c-7ce8-4e57-9140-b90eb88a9e97": "SWAY",
            "c87f142c-d1e9-4363-8630-aaea9c4d9ae5": "BPOS_S_TODO_2",
            "a82fbf69-b4d7-49f4-83a6-915b2cf354f4": "VIVAENGAGE_CORE",
            "b76fb638-6ba6-402a-b9f9-83d28acb3d86": "VIVA_LEARNING_SEEDED",
            "94a54592-cd8b-425e-87c6-97868b000b91": "WHITEBOARD_PLAN2",
            "7547a3fe-08ee-4ccb-b430-5077c5041653": "YAMMER_ENTERPRISE",
            "4ff01e01-1ba7-4d71-8cf8-ce96c3bbcf14": "DYN365_CDS_O365_P2",
            "c68f8d98-5534-41c8-bf36-22fa496fa792": "POWERAPPS_O365_P2",
            "76846ad7-7776-4c40-a281-a386362dd1b9": "FLOW_O365_P2",
            "041fe683-03e4-45b6-b1af-c0cdc516daee": "POWER_VIRTUAL_AGENTS_O365_P2",
        },
    ),
    "MCOEV": _Sku(
        "e43b5b99-8dfb-405f-9987-dc307f34bcbd",
        "Microsoft Teams Phone Standard",
        {
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
        },
    ),
    "MCOPSTN1": _Sku(
        "0dab259f-bf13-4952-b7f8-7db8f131b28d",
        "Skype for Business PSTN Domestic Calling",
        {
            "4ed3ff63-69d7-4fb7-b984-5aec7f605ca8": "MCOPSTN1",
        },
    ),
    "MCOPSTN2": _Sku(
        "d3b4fe1f-9992-4930-8acb-ca6ec609365e",
        "Skype for Business PSTN Domestic and International Calling",
        {
            "5a10155d-f5c1-411a-a8ec-e99aae125390": "MCOPSTN2",
        },
    ),
    "MCOPSTN5": _Sku(
        "54a152dc-90de-4996-93d2-bc47e670fc06",
        "Skype for Business PSTN Domestic Calling (120 Minutes)",
        {
            "54a152dc-90de-4996-93d2-bc47e670fc06": "MCOPSTN5",
        },
    ),
    "MCOPSTNC": _Sku(
        "47794cd0-f0e5-45c5-9033-2eb6b5fc84e0",
        "Communications Credits",
        {
            "505e180f-f7e0-4b65-91d4-00d670bbd18c": "MCOPSTNC",
        },
    ),
    "MCOMEETADV": _Sku(
        "0c266dff-15dd-4b49-8397-2bb16070ed52",
        "Microsoft 365 Audio Conferencing",
        {
            "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40": "MCOMEETADV",
        },
    ),
    "MCOMEETACPEA": _Sku(
        "df9561a4-4969-4e6a-8e73-c601b68ec077",
        "Microsoft 365 Audio Conferencing Pay-Per-Minute - EA",
        {
            "bb038288-76ab-49d6-afc1-eaa6c222c65a": "MCOMEETACPEA",
        },
    ),
    "BUSINESS_VOICE_MED2": _Sku(
        "a6051f20-9cbc-47d2-930d-419183bf6cf1",
        "Microsoft 365 Business Voice",
        {
            "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40": "MCOMEETADV",
            "4ed3ff63-69d7-4fb7-b984-5aec7f605ca8": "MCOPSTN1",
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
        },
    ),
    "BUSINESS_VOICE_MED2_TELCO": _Sku(
        "08d7bce8-6e16-490e-89db-1d508e5e9609",
        "Microsoft 365 Business Voice (US)",
        {
            "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40": "MCOMEETADV",
            "4ed3ff63-69d7-4fb7-b984-5aec7f605ca8": "MCOPSTN1",
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
        },
    ),
    "BUSINESS_VOICE": _Sku(
        "e5a17adf-8f0d-4b57-bc14-d331235f9307",
        "Microsoft 365 Business Voice (UK)",
        {
            "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40": "MCOMEETADV",
            "4ed3ff63-69d7-4fb7-b984-5aec7f605ca8": "MCOPSTN1",
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
        },
    ),
    "MCOTEAMS_ESSENTIALS": _Sku(
        "ae2343d1-0999-43f6-ae18-d816516f6e78",
        "Teams Phone with Calling Plan",
        {
            "4ed3ff63-69d7-4fb7-b984-5aec7f605ca8": "MCOPSTN1",
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
        },
    ),
    "SPE_E5_CALLINGMINUTES": _Sku(
        "a91fc4e0-65e5-4266-aa76-4037509c1626",
        "Microsoft 365 E5 with Calling Minutes",
        {
            "dcf9d2f4-772e-4434-b757-77a453cfbc02": "MESH_AVATARS_FOR_TEAMS",
            "3efbd4ed-8958-4824-8389-1321f8730af8": "MESH_AVATARS_ADDITIONAL_FOR_TEAMS",
            "bea4c11e-220a-4e6d-8eb8-8ea15d019f90": "RMS_S_ENTERPRISE",
            "afa73018-811e-46e9-988f-f75d2b1b8430": "CDS_O365_P3",
            "0d0c0d31-fae7-41f2-b909-eaf4d7f26dba": "Bing_Chat_Enterprise",
            "9f431833-0334-42de-a7dc-70aa40db46db": "LOCKBOX_ENTERPRISE",
            "3ec18638-bd4c-4d3b-8905-479ed636b83e": "CustomerLockboxA_Enterprise",
            "cd31b152-6326-4d1b-ae1b-997b625182e6": "MIP_S_Exchange",
            "efb87545-963c-4e0d-99df-69c6916d9eb0": "EXCHANGE_S_ENTERPRISE",
            "a6520331-d7d4-4276-95f5-15c0933bc757": "GRAPH_CONNECTORS_SEARCH_INDEX",
            "c4801e8a-cb58-4c35-aca6-f2dcc106f287": "INFORMATION_BARRIERS",
            "d9fa6af4-e046-4c89-9226-729a0786685d": "Content_Explorer",
            "2b815d45-56e4-4e3a-b65c-66cb9175b560": "ContentExplorer_Standard",
            "efb0351d-3b08-4503-993d-383af8de41e3": "MIP_S_CLP2",
            "5136a095-5cf0-4aff-bec3-e84448b38ea5": "MIP_S_CLP1",
            "33c4f319-9bdd-48d6-9c4d-410b750a4a5a": "MYANALYTICS_P2",
            "2f442157-a11c-46b9-ae5b-6e39ff4e5849": "M365_ADVANCED_AUDITING",
            "43de0ff5-c92c-492b-9116-175376d08c38": "OFFICESUBSCRIPTION",
            "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40": "MCOMEETADV",
            "f6de4823-28fa-440b-b886-4783fa86ddba": "M365_AUDIT_PLATFORM",
            "a413a9ff-720c-4822-98ef-2f37c2a21f4c": "MICROSOFT_COMMUNICATION_COMPLIANCE",
            "16935b20-87c0-4908-934a-22aa267d0d26": "MCOPSTN8",
            "6f23d6a9-adbf-481c-8538-b4c095654487": "M365_LIGHTHOUSE_CUSTOMER_PLAN1",
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
            "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2": "MICROSOFTBOOKINGS",
            "a1ace008-72f3-4ea0-8dac-33b3a23a2472": "CLIPCHAMP",
            "6dc145d6-95dd-4191-b9c3-185575ee6f6b": "COMMUNICATIONS_DLP",
            "6db1f1db-2b46-403f-be40-e39395f08dbb": "CUSTOMER_KEY",
            "46129a58-a698-46f0-aa5b-17f6586297d9": "DATA_INVESTIGATIONS",
            "f20fedf3-f3c3-43c3-8267-2bfdd51c0939": "ATP_ENTERPRISE",
            "8e0c0a52-6a6c-4d40-8370-dd62790dcd70": "THREAT_INTELLIGENCE",
            "531ee2f8-b1cb-453b-9c21-d2180d014ca5": "EXCEL_PREMIUM",
            "e212cbc7-0961-4c40-9825-01117710dcb1": "FORMS_PLAN_E5",
            "e26c2fcc-ab91-4a61-b35c-03cdc8dddf66": "INFO_GOVERNANCE",
            "d587c7a3-bda9-4f99-8776-9bcf59c84f75": "INSIDER_RISK",
            "0898bdbb-73b0-471a-81e5-20f1fe4dd66e": "KAIZALA_STANDALONE",
            "c4b8c31a-fb44-4c65-9837-a21f55fcabda": "MICROSOFT_LOOP",
            "d2d51368-76c9-4317-ada2-a12c004c432f": "ML_CLASSIFICATION",
            "34c0d7a0-a70f-4668-9238-47f9fc208882": "EXCHANGE_ANALYTICS",
            "b737dad2-2f6c-4c65-90e3-ca563267e8b9": "PROJECTWORKMANAGEMENT",
            "65cc641f-cccd-4643-97e0-a17e3045e541": "RECORDS_MANAGEMENT",
            "94065c59-bc8e-4e8b-89e5-5138d471eaff": "MICROSOFT_SEARCH",
            "8c7d2df8-86f0-4902-b2ed-a0458298f3b3": "Deskless",
            "6c6042f5-6f01-4d67-b8c1-eb99d36eed3e": "STREAM_O365_E5",
            "57ff2da0-773e-42df-b2af-ffb7a2317929": "TEAMS1",
            "882e1d05-acd1-4ccb-8708-6ee03664b117": "INTUNE_O365",
            "db4d623d-b514-490b-b7ef-8885eee514de": "Nucleus",
            "4de31727-a228-4ec3-a5bf-8e45b5ca48cc": "EQUIVIO_ANALYTICS",
            "8c098270-9dd4-4350-9b30-ba4703f3b36b": "ADALLOM_S_O365",
            "b1188c4c-1b36-4018-b48b-ee07604f6feb": "PAM_ENTERPRISE",
            "bf6f5520-59e3-4f82-974b-7dbbc4fd27c7": "SAFEDOCS",
            "e95bec33-7c88-4a70-8e19-b10bd9d0c014": "SHAREPOINTWAC",
            "9c0dab89-a30c-4117-86e7-97bda240acd2": "POWERAPPS_O365_P3",
            "70d33638-9c74-4d01-bfd3-562de28bd4ba": "BI_AZURE_P2",
            "617b097b-4b93-4ede-83de-5f075bb5fb2f": "PREMIUM_ENCRYPTION",
            "b21a6b06-1988-436e-a07b-51ec6d9f52ad": "PROJECT_O365_P3",
            "c948ea65-2053-4a5a-8a62-9eaaaf11b522": "PURVIEW_DISCOVERY",
            "41fcdd7d-4733-4863-9cf4-c65b83ce2df4": "COMMUNICATIONS_COMPLIANCE",
            "9d0c4ee5-e4a1-4625-ab39-d82b619b1a34": "INSIDER_RISK_MANAGEMENT",
            "5dbe027f-2339-4123-9542-606e4d348a72": "SHAREPOINTENTERPRISE",
            "0feaeb32-d00e-4d66-bd5a-43b5b83db82c": "MCOSTANDARD",
            "a23b959c-7ce8-4e57-9140-b90eb88a9e97": "SWAY",
            "3fb82609-8c27-4f7b-bd51-30634711ee67": "BPOS_S_TODO_3",
            "b76fb638-6ba6-402a-b9f9-83d28acb3d86": "VIVA_LEARNING_SEEDED",
            "4a51bca5-1eff-43f5-878c-177680f191af": "WHITEBOARD_PLAN3",
            "7547a3fe-08ee-4ccb-b430-5077c5041653": "YAMMER_ENTERPRISE",
            "871d91ec-ec1a-452b-a83f-bd76c7d770ef": "WINDEFATP",
            "795f6fe0-cc4d-4773-b050-5dde4dc704c9": "UNIVERSAL_PRINT_01",
            "21b439ba-a0ca-424f-a6cc-52f954a5b111": "WIN10_PRO_ENT_SUB",
            "9a6eeb79-0b4b-4bf0-9808-39d99a2cd5a3": "Windows_Autopatch",
            "7bf960f6-2cd9-443a-8046-5dbff9558365": "WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE",
            "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3": "RMS_S_PREMIUM",
            "5689bec4-755d-4753-8b61-40975025187c": "RMS_S_PREMIUM2",
            "28b0fa46-c39a-4188-89e2-58e979a6b014": "DYN365_CDS_O365_P3",
            "99cd49a9-0e54-4e07-aea1-d8d9f5f704f5": "Defender_for_Iot_Enterprise",
            "8a256a2b-b617-496d-b51b-e76466e88db0": "MFA_PREMIUM",
            "2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2": "ADALLOM_S_STANDALONE",
            "14ab5db5-e6c4-4b20-b4bc-13e36fd2227f": "ATA",
            "41781fb2-bc02-4b7c-bd55-b576c07bb09d": "AAD_PREMIUM",
            "eec0eb4f-6444-4f95-aba0-50c24d67f998": "AAD_PREMIUM_P2",
            "c1ec4a95-1f05-45b3-a911-aa3fa01094f5": "INTUNE_A",
            "0f9b09cb-62d1-4ff4-9129-43f4996f83f4": "FLOW_O365_P1",
            "ded3d325-1bdc-453e-8432-5bac26d7a014": "POWER_VIRTUAL_AGENTS_O365_P3",
        },
    ),
    "Microsoft_365_E5_EEA_(no_Teams)_with_Calling_Minutes": _Sku(
        "6ee4114a-9b2d-4577-9e7a-49fa43d222d3",
        "Microsoft 365 E5 EEA (no Teams) with Calling Minutes",
        {
            "afa73018-811e-46e9-988f-f75d2b1b8430": "CDS_O365_P3",
            "9f431833-0334-42de-a7dc-70aa40db46db": "LOCKBOX_ENTERPRISE",
            "cd31b152-6326-4d1b-ae1b-997b625182e6": "MIP_S_Exchange",
            "efb87545-963c-4e0d-99df-69c6916d9eb0": "EXCHANGE_S_ENTERPRISE",
            "a6520331-d7d4-4276-95f5-15c0933bc757": "GRAPH_CONNECTORS_SEARCH_INDEX",
            "c4801e8a-cb58-4c35-aca6-f2dcc106f287": "INFORMATION_BARRIERS",
            "d9fa6af4-e046-4c89-9226-729a0786685d": "Content_Explorer",
            "2b815d45-56e4-4e3a-b65c-66cb9175b560": "ContentExplorer_Standard",
            "efb0351d-3b08-4503-993d-383af8de41e3": "MIP_S_CLP2",
            "5136a095-5cf0-4aff-bec3-e84448b38ea5": "MIP_S_CLP1",
            "33c4f319-9bdd-48d6-9c4d-410b750a4a5a": "MYANALYTICS_P2",
            "2f442157-a11c-46b9-ae5b-6e39ff4e5849": "M365_ADVANCED_AUDITING",
            "43de0ff5-c92c-492b-9116-175376d08c38": "OFFICESUBSCRIPTION",
            "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40": "MCOMEETADV",
            "f6de4823-28fa-440b-b886-4783fa86ddba": "M365_AUDIT_PLATFORM",
            "a413a9ff-720c-4822-98ef-2f37c2a21f4c": "MICROSOFT_COMMUNICATION_COMPLIANCE",
            "16935b20-87c0-4908-934a-22aa267d0d26": "MCOPSTN8",
            "4828c8ec-dc2e-4779-b502-87ac9ce28ab7": "MCOEV",
            "199a5c09-e0ca-4e37-8f7c-b05d533e1ea2": "MICROSOFTBOOKINGS",
            "6dc145d6-95dd-4191-b9c3-185575ee6f6b": "COMMUNICATIONS_DLP",
            "6db1f1db-2b46-403f-be40-e39395f08dbb": "CUSTOMER_KEY",
            "46129a58-a698-46f0-aa5b-17f6586297d9": "DATA_INVESTIGATIONS",
            "f20fedf3-f3c3-43c3-8267-2bfdd51c0939": "ATP_ENTERPRISE",
            "8e0c0a52-6a6c-4d40-8370-dd62790dcd70": "THREAT_INTELLIGENCE",
            "531ee2f8-b1cb-453b-9c21-d2180d014ca5": "EXCEL_PREMIUM",
            "e212cbc7-0961-4c40-9825-01117710dcb1": "FORMS_PLAN_E5",
            "e26c2fcc-ab91-4a61-b35c-03cdc8dddf66": "INFO_GOVERNANCE",
            "d587c7a3-bda9-4f99-8776-9bcf59c84f75": "INSIDER_RISK",
            "0898bdbb-73b0-471a-81e5-20f1fe4dd66e": "KAIZALA_STANDALONE",
            "d2d51368-76c9-4317-ada2-a12c004c432f": "ML_CLASSIFICATION",
            "34c0d7a0-a70f-4668-9238-47f9fc208882": "EXCHANGE_ANALYTICS",
            "b737dad2-2f6c-4c65-90e3-ca563267e8b9": "PROJECTWORKMANAGEMENT",
            "65cc641f-cccd-4643-97e0-a17e3045e541": "RECORDS_MANAGEMENT",
            "94065c59-bc8e-4e8b-89e5-5138d471eaff": "MICROSOFT_SEARCH",
            "8c7d2df8-86f0-4902-b2ed-a0458298f3b3": "Deskless",
            "6c6042f5-6f01-4d67-b8c1-eb99d36eed3e": "STREAM_O365_E5",
            "882e1d05-acd1-4ccb-8708-6ee03664b117": "INTUNE_O365",
            "db4d623d-b514-490b-b7ef-8885eee514de": "Nucleus",
            "4de31727-a228-4ec3-a5bf-8e45b5ca48cc": "EQUIVIO_ANALYTICS",
            "8c098270-9dd4-4350-9b30-ba4703f3b36b": "ADALLOM_S_O365",
            "b1188c4c-1b36-4018-b48b-ee07604f6feb": "PAM_ENTERPRISE",
            "bf6f5520-59e3-4f82-974b-7dbbc4fd27c7": "SAFEDOCS",
            "e95bec33-7c88-4a70-8e19-b10bd9d0c014": "SHAREPOINTWAC",
            "9c0dab89-a30c-4117-86e7-97bda240acd2": "POWERAPPS_O365_P3",
            "70d33638-9c74-4d01-bfd3-562de28bd4ba": "BI_AZURE_P2",
            "617b097b-4b93-4ede-83de-5f075bb5fb2f": "PREMIUM_ENCRYPTION",
            "b21a6b06-1988-436e-a07b-51ec6d9f52ad": "PROJECT_O365_P3",
            "41fcdd7d-4733-4863-9cf4-c65b83ce2df4": "COMMUNICATIONS_COMPLIANCE",
            "9d0c4ee5-e4a1-4625-ab39-d82b619b1a34": "INSIDER_RISK_MANAGEMENT",
            "6b5b6a67-fc72-4a1f-a2b5-beecf05de761": "SHAREPOINTENTERPRISE_MIDMARKET",
            "0feaeb32-d00e-4d66-bd5a-43b5b83db82c": "MCOSTANDARD",
            "a23b959c-7ce8-4e57-9140-b90eb88a9e97": "SWAY",
            "3fb82609-8c27-4f7b-bd51-30634711ee67": "BPOS_S_TODO_3",
            "b76fb638-6ba6-402a-b9f9-83d28acb3d86": "VIVA_LEARNING_SEEDED",
            "4a51bca5-1eff-43f5-878c-177680f191af": "WHITEBOARD_PLAN3",
            "7547a3fe-08ee-4ccb-b430-5077c5041653": "YAMMER_ENTERPRISE",
            "871d91ec-ec1a-452b-a83f-bd76c7d770ef": "WINDEFATP",
            "795f6fe0-cc4d-4773-b050-5dde4dc704c9": "UNIVERSAL_PRINT_01",
            "21b439ba-a0ca-424f-a6cc-52f954a5b111": "WIN10_PRO_ENT_SUB",
            "9a6eeb79-0b4b-4bf0-9808-39d99a2cd5a3": "Windows_Autopatch",
            "7bf960f6-2cd9-443a-8046-5dbff9558365": "WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE",
            "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3": "RMS_S_PREMIUM",
            "5689bec4-755d-4753-8b61-40975025187c": "RMS_S_PREMIUM2",
            "bea4c11e-220a-4e6d-8eb8-8ea15d019f90": "RMS_S_ENTERPRISE",
            "28b0fa46-c39a-4188-89e2-58e979a6b014": "DYN365_CDS_O365_P3",
            "8a256a2b-b617-496d-b51b-e76466e88db0": "MFA_PREMIUM",
            "2e2ddb96-6af9-4b1d-a3f0-d6ecfd22edb2": "ADALLOM_S_STANDALONE",
            "14ab5db5-e6c4-4b20-b4bc-13e36fd2227f": "ATA",
            "41781fb2-bc02-4b7c-bd55-b576c07bb09d": "AAD_PREMIUM",
            "eec0eb4f-6444-4f95-aba0-50c24d67f998": "AAD_PREMIUM_P2",
            "c1ec4a95-1f05-45b3-a911-aa3fa01094f5": "INTUNE_A",
            "0f9b09cb-62d1-4ff4-9129-43f4996f83f4": "FLOW_O365_P1",
            "ded3d325-1bdc-453e-8432-5bac26d7a014": "POWER_VIRTUAL_AGENTS_O365_P3",
        },
    ),
    "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)": _Sku(
        "9b196e97-5830-4c2e-adc2-1e10ebf5dee5",
        "Microsoft Teams Calling Plan pay-as-you-go (country zone 1 - US)",
        {
            "156a1efe-17cd-4b03-9f17-2eb512298fb3": "MCOPSTN_PAYG_1",
        },
    ),
    "VISIOCLIENT": _Sku(
        "c5928f49-12ba-48f7-ada3-0d743a3601d5",
        "Visio Plan 2",
        {
            "113feb6c-3fe4-4440-bddc-54d774bf0318": "EXCHANGE_S_FOUNDATION",
            "da792a53-cbc0-4184-a10d-e544dd34b3c1": "ONEDRIVE_BASIC",
            "663a804f-1c30-4ff0-9915-9db84f0d1cea": "VISIO_CLIENT_SUBSCRIPTION",
            "2bdbaf8f-738f-4ac7-9234-3c3ee2ce7d0f": "VISIOONLINE",
        },
    ),
    "PROJECTPREMIUM": _Sku(
        "09015f9f-377f-4538-bbb5-f75ceb09358a",
        "Project Online Premium",
        {
            "fafd7243-e5c1-4a3a-9e40-495efcb1d3c3": "PROJECT_CLIENT_SUBSCRIPTION",
            "fe71d6c3-a2ea-4499-9778-da042bf08063": "SHAREPOINT_PROJECT",
            "5dbe027f-2339-4123-9542-606e4d348a72": "SHAREPOINTENTERPRISE",
            "e95bec33-7c88-4a70-8e19-b10bd9d0c014": "SHAREPOINTWAC",
        },
    ),
}
