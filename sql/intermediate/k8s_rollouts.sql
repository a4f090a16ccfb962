-- Kubernetes rollouts: each ReplicaSet owned by a Deployment, with its revision, mapped to a
-- service by the service label (else the fallback label) of its Deployment, else of the
-- ReplicaSet itself; in that order: Deployment's service label, ReplicaSet's service label,
-- Deployment's fallback label, ReplicaSet's fallback label. The label value matches a
-- service's backstage.io/kubernetes-id, else its name.
with labelled as (
    select
        rs.cluster,
        rs.namespace,
        rs.name as replicaset,
        rs.owner_name as deployment,
        rs.revision,
        rs.created_at,
        coalesce(
            d.service_label_value,
            rs.service_label_value,
            d.fallback_label_value,
            rs.fallback_label_value
        ) as service_label_value,
        rs.production
    from staging.k8s_replicasets as rs
    left join staging.k8s_workloads as d
        on d.kind = 'Deployment' and d.cluster = rs.cluster and d.namespace = rs.namespace
       and d.name = rs.owner_name
    where rs.owner_kind = 'Deployment'
)

select l.*, sv.service, sv.repo
from labelled as l
join intermediate.services as sv on coalesce(sv.kubernetes_id, sv.service) = l.service_label_value
