-- One row per namespace a cluster listed (kept after it is gone, deleted = true), with
-- is_pr_environment: its name matches kubernetes.pr_namespace_pattern (a glob).
select
    n.cluster,
    n.name,
    n.created_at,
    coalesce(n.deleted, false) as deleted,
    n.name glob s.pr_namespace_pattern as is_pr_environment
from raw.k8s_namespaces as n
cross join config.settings as s
