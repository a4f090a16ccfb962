-- One row per service with a Kubernetes workload (Deployment or StatefulSet, any cluster):
-- what its live pod templates actually run — GPU requests and sidecars, by the same rules as
-- the escape-hatch reasons — beside the reasons its service spec declares, so a lead can see
-- escape hatches that no longer need to be one, and raw workloads nobody declared.
select
    sv.service,
    sv.repo,
    sv.owner,
    count(*) as workloads,
    bool_or(w.live_gpu) as live_gpu,
    bool_or(w.live_sidecar) as live_sidecar,
    sv.escape_hatch,
    sv.escape_hatch_reasons
from staging.k8s_workloads as w
join intermediate.services as sv
    on coalesce(sv.kubernetes_id, sv.service) = coalesce(w.service_label_value, w.fallback_label_value)
group by sv.service, sv.repo, sv.owner, sv.escape_hatch, sv.escape_hatch_reasons
order by sv.service, sv.repo
