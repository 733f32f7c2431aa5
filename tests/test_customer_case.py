"""`kb check` on a story or call whose customer is written unlike any customer file's slug: a slug is a
file name, so case counts, but `Zealot` beside zealot.md is a typo to point out, not a new customer to
make."""

from __future__ import annotations


def test_a_customer_written_in_another_case_gets_did_you_mean(kb_root, runner):
    kb_root.customer("zealot", name="Zealot", stage="lead")
    kb_root.casestudy("zealot-story", "Zealot", status="draft")
    kb_root.interview("2026-02-02-zealots-call", "zealots", "2026-02-02")
    kb_root.interview("2026-02-03-ghost-call", "ghost", "2026-02-03")
    result = runner(kb_root, "check")
    case = "casestudies/zealot-story.md:2: warning: customer: 'Zealot' has no customer file; did you mean 'zealot'?"
    assert case in result.stdout, result.output
    assert (
        "customer: 'zealots' has no customer file yet (content/customers/zealots.md); did you mean 'zealot'? "
        "Else make one with `kb new customer zealots`"
    ) in result.stdout
    assert "customer: 'ghost' has no customer file yet (content/customers/ghost.md); make one with" in result.stdout
