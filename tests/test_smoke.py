from conftest import EXAMPLES, SPECS


def test_plan_sample(cli):
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml").code == 0
    r = cli("plan", SPECS / "contoso.yaml")
    assert r.code == 0, r.err
    assert "Plan: 0 to buy, 5 to change, 6 to assign, 1 to remove (1 destructive)." in r.out
