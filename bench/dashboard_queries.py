"""The documents bench/dashboard.py measures: the region dashboard, the same with progress,
attainment and dependencies (the "full" dashboard), and the portfolio due soon."""

# The documents measured; adjust them here. The dashboard's page size is changed for the
# statement count by rewriting its first `projects(first: N)` (or else its first `first: N`).
DASHBOARD = """
query Dashboard($id: ID!) {
  region(id: $id) {
    name
    prefectures { name }
    projects(first: 50) {
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id name category status
          lead { name }
          milestones(first: 10) { nodes { id title dueOn status progress owner { name } } }
          kpis(first: 5) { nodes { name unit latestObservation { value periodEnd } } }
        }
      }
    }
  }
}
"""
# The same dashboard with the published formulas a secretariat opens it for: each project's
# progress with its inputs, each KPI's attainment, and what each milestone waits for.
FULL_DASHBOARD = """
query FullDashboard($id: ID!) {
  region(id: $id) {
    name
    prefectures { name }
    projects(first: 50) {
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id name category status
          lead { name }
          progress {
            percent formula
            inputs { title weight progress status counted contribution }
          }
          milestones(first: 10) {
            nodes { id title dueOn status progress owner { name } dependsOn { title } }
          }
          kpis(first: 5) {
            nodes {
              name unit latestObservation { value periodEnd }
              attainment { percent achieved target targetFiscalYear reason }
            }
          }
        }
      }
    }
  }
}
"""
DUE_SOON = """
query DueSoon($from: Date!, $to: Date!) {
  milestones(first: 50, dueFrom: $from, dueTo: $to) {
    edges { node { id title dueOn status project { name } owner { name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
