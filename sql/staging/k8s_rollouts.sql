-- Kubernetes rollouts: each ReplicaSet owned by a Deployment, with its revision, mapped to a
-- service by the service label (else the fallback label) of its Deployment, else of the
-- ReplicaSet itself; in that order: Deployment's service label, ReplicaSet's service label,
-- Deployment's fallback label, ReplicaSet's fallback label. The label value matches a
-- service's backstage.io/kubernetes-id, else its name.
with deployment_labels as (
    -- read once per Deployment, not once per ReplicaSet
    select
        d.cluster,
        d.namespace,
        d.name,
        json_extract_string(d.labels, '$."' || s.service_label || '"') as service_value,
        json_extract_string(d.labels, '$."' || s.fallback_label || '"') as fallback_value
    from raw.k8s_workloads as d
    cross join staging.settings as s
    where d.kind = 'Deployment'
),

labelled as (
    select
        rs.cluster,
        rs.namespace,
        rs.name as replicaset,
        rs.owner_name as deployment,
        rs.revision,
        rs.created_at,
        coalesce(
            d.service_value,
            json_extract_string(rs.labels, '$."' || s.service_label || '"'),
            d.fallback_value,
            json_extract_string(rs.labels, '$."' || s.fallback_label || '"')
        ) as service_label_value,
        list_contains(s.production_contexts, rs.cluster) as production
    from raw.k8s_replicasets as rs
    cross join staging.settings as s
    left join deployment_labels as d
        on d.cluster = rs.cluster and d.namespace = rs.namespace and d.name = rs.owner_name
    where rs.owner_kind = 'Deployment'
)

select l.*, sv.service, sv.repo
from labelled as l
join staging.services as sv on coalesce(sv.kubernetes_id, sv.service) = l.service_label_value
