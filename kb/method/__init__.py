"""The case-study method: the as-of date, the hell-yes rule, the company as of D, milestones 1 to 8
and the ONE goal, the metrics gate, the metrics behind it, the compare view, and every problem of a KB
(`problems`, what `kb check` prints).

Reads the store through `kb.store.catalog`; computes, never writes. May import `kb.store`,
`kb.records`, `kb.table` and below; never the views or the interfaces.
"""
