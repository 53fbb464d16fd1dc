"""The fields the compiled path leaves to their resolvers, each with the reason.

A query selecting one of these still compiles: the statement leaves a placeholder and only that
field runs in Python (renkei.graphql.compiled.partial), counted as a fallback. Keep this short;
the guard test fails on a field that is neither compiled nor listed here.
"""

from __future__ import annotations

# An entry is "Type.field": "why not".
_TIER_CHOICE = (
    "the estimate chooses a scheme's tier by its conditions (introductions, residence, travel"
    " per trip, first use) and limits costs to the 年度 in renkei.talent.subsidy_rules; one"
    " copy of those rules, in Python, cannot disagree with another in SQL"
)
_ENGINE = (
    "the matching engine computes it in memory over every open profile and need, as the"
    " platform; no stored row holds it"
)
_GRANTS = (
    "a grant's money (the rule's grant, the local share, the region's allowance drawn) is"
    " computed once, in Python (renkei.grants.money), and the applications are few per project"
)
_GRANT_FIELDS = {
    "GrantAllowance": "allowanceJpy usedJpy leftJpy",
    "GrantApplicationTransition": "fromStatus toStatus at by organization",
    "GrantApplication": (
        "id title scheme status statusLabel nextStatus requestedCostJpy rate grantByRuleJpy"
        " grantJpy grantBasis localShareJpy localShareFormula usesRegionAllowance"
        " regionAllowance appliedOn decidedAmountJpy decidedOn conditions reportDueOn"
        " nextDeadline reportedSpendingJpy reportedOn finalAmountJpy settledOn demo"
        " applicationBaseline decisionBaseline transitions activity csvUrl xlsxUrl"
    ),
}
RESOLVER_ONLY: dict[str, str] = {
    "Project.grantApplications": _GRANTS,
    **{
        f"{type_name}.{field}": _GRANTS
        for type_name, fields in _GRANT_FIELDS.items()
        for field in fields.split()
    },
    "Match.estimatedSubsidy": _TIER_CHOICE,
    **{
        f"SubsidyEstimate.{name}": _TIER_CHOICE
        for name in (
            "scheme",
            "rate",
            "capJpy",
            "eligibleJpy",
            "estimateJpy",
            "firstUse",
            "reason",
            "formula",
            "why",
            "applicationDeadline",
            "applicationDeadlineText",
            "appliedOn",
        )
    },
    "Query.matchingReport": _ENGINE,
    "MatchingReport.needId": _ENGINE,
    "MatchingReport.stable": _ENGINE,
    "MatchingReport.blockingPairs": _ENGINE,
    "MatchingReport.needs": _ENGINE,
    "MatchingReport.professionals": _ENGINE,
    "MatchingReport.professionalsEligible": _ENGINE,
    "MatchingReport.professionalsProposed": _ENGINE,
    "MatchingReport.coverage": _ENGINE,
    "MatchingReport.proposals": _ENGINE,
    "MatchingReport.allocated": _ENGINE,
    "MatchingReport.maxExposure": _ENGINE,
    "MatchingReport.meanExposure": _ENGINE,
}
