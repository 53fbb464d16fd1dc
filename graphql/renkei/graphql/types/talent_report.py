"""matchingReport: the engine's stability report, for operators and for a need's own firm."""

from __future__ import annotations

import strawberry

from renkei.graphql.relay import to_global_id
from renkei.talent import report


@strawberry.type(
    description="The matching engine's report: blocking pairs of its allocation, how many "
    "professionals it reaches (coverage) and how proposals spread over them (exposure)."
)
class MatchingReport:
    row: strawberry.Private[report.MatchingReport]

    @strawberry.field(description="The need it is about; null for every open need.")
    def need_id(self) -> strawberry.ID | None:
        need = self.row.need_id
        return None if need is None else strawberry.ID(to_global_id("TalentNeed", need))

    @strawberry.field(
        description="No blocking pair: no need and professional who would both "
        "rather be together than with whom they are allocated."
    )
    def stable(self) -> bool:
        return self.row.stable

    @strawberry.field(description="Blocking pairs (of the need, for a need's report).")
    def blocking_pairs(self) -> int:
        return self.row.blocking_pairs

    @strawberry.field(description="Open needs the report covers.")
    def needs(self) -> int:
        return self.row.needs

    @strawberry.field(description="Open profiles the engine read.")
    def professionals(self) -> int:
        return self.row.professionals

    @strawberry.field(description="Professionals with at least one feasible need.")
    def professionals_eligible(self) -> int:
        return self.row.professionals_eligible

    @strawberry.field(description="Professionals proposed (to the need, for a need's report).")
    def professionals_proposed(self) -> int:
        return self.row.professionals_proposed

    @strawberry.field(description="professionalsProposed ÷ professionalsEligible, 0 to 1.")
    def coverage(self) -> float:
        return self.row.coverage

    @strawberry.field(description="Proposals made (to the need, for a need's report).")
    def proposals(self) -> int:
        return self.row.proposals

    @strawberry.field(description="Proposals holding an opening in the stable allocation.")
    def allocated(self) -> int:
        return self.row.allocated

    @strawberry.field(
        description="The most proposals any of these professionals receives, over all needs."
    )
    def max_exposure(self) -> int:
        return self.row.max_exposure

    @strawberry.field(description="Proposals per professional proposed, over all needs.")
    def mean_exposure(self) -> float:
        return self.row.mean_exposure
