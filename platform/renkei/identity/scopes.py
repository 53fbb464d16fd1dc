"""OAuth scopes an access token may carry; GraphQL fields and mutations ask for them."""

ORGANIZATIONS_READ = "organizations:read"
ORGANIZATIONS_WRITE = "organizations:write"
PROJECTS_READ = "projects:read"
PROJECTS_WRITE = "projects:write"
TALENT_READ = "talent:read"
TALENT_WRITE = "talent:write"
KPI_WRITE = "kpi:write"

ALL_SCOPES = frozenset(
    {
        ORGANIZATIONS_READ,
        ORGANIZATIONS_WRITE,
        PROJECTS_READ,
        PROJECTS_WRITE,
        TALENT_READ,
        TALENT_WRITE,
        KPI_WRITE,
    }
)
