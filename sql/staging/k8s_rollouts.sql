-- Kubernetes rollouts: each ReplicaSet owned by a Deployment, with its revision, mapped to a
-- service by the service label (else the fallback label) of its Deployment, else of the
-- ReplicaSet itself. The label value matches a service's backstage.io/kubernetes-id, else
-- its name.
with labelled as (
    select
        rs.cluster,
        rs.namespace,
        rs.name as replicaset,
        rs.owner_name as deployment,
        rs.revision,
        rs.created_at,
        coalesce(
            json_extract_string(d.labels, '$."' || s.service_label || '"'),
            json_extract_string(rs.labels, '$."' || s.service_label || '"'),
            json_extract_string(d.labels, '$."' || s.fallback_label || '"'),
            json_extract_string(rs.labels, '$."' || s.fallback_label || '"')
        ) as service_label_value,
        list_contains(s.production_contexts, rs.cluster) as production
    from raw.k8s_replicasets as rs
    cross join staging.settings as s
    left join raw.k8s_workloads as d
        on d.cluster = rs.cluster and d.namespace = rs.namespace
       and d.kind = 'Deployment' and d.name = rs.owner_name
    where rs.owner_kind = 'Deployment'
)

select l.*, sv.service, sv.repo
from labelled as l
join staging.services as sv on coalesce(sv.kubernetes_id, sv.service) = l.service_label_value
