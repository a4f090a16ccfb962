-- materialized: view
-- One row per ReplicaSet ever seen (the rollout history), with the values of its own service
-- label and fallback label, and production: its cluster context is one of
-- kubernetes.production_contexts.
select
    rs.cluster,
    rs.namespace,
    rs.name,
    rs.owner_kind,
    rs.owner_name,
    rs.revision,
    rs.replicas,
    rs.created_at,
    json_extract_string(rs.labels, '$."' || s.service_label || '"') as service_label_value,
    json_extract_string(rs.labels, '$."' || s.fallback_label || '"') as fallback_label_value,
    list_contains(s.production_contexts, rs.cluster) as production
from raw.k8s_replicasets as rs
cross join config.settings as s
