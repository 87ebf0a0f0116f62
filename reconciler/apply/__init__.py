"""Stage 4, apply: carry out a plan through a provider, journalled, retried and interruptible.

`run` is the loop (`waves` the batched path), `outcomes` what became of each action, `ledger`
the lock and journal, `savedplan` plans as files that refuse to go stale, `interrupts` the signal
handling. It imports `plan`, `providers`, `domain` and `support`.
"""
