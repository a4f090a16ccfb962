-- One row per service with a Kubernetes workload (Deployment or StatefulSet, any cluster):
-- what its live pod templates actually run — GPU requests and sidecars, by the same rules as
-- the escape-hatch reasons — beside the reasons its service spec declares, so a lead can see
-- escape hatches that no longer need to be one, and raw workloads nobody declared.
with workloads as (
    select
        w.cluster,
        w.kind,
        w.namespace,
        w.name,
        w.pod_spec,
        coalesce(
            json_extract_string(w.labels, '$."' || s.service_label || '"'),
            json_extract_string(w.labels, '$."' || s.fallback_label || '"')
        ) as label_value
    from raw.k8s_workloads as w
    cross join staging.settings as s
),

features as (
    select
        w.*,
        -- every quantity any container (or init container) asks of a GPU resource, as text
        flatten(flatten(list_transform(
            (select gpu_resources from staging.gpu_resources),
            lambda r: list_transform(
                coalesce(json_extract(w.pod_spec, '$.containers[*].resources'), []::json[])
                    || coalesce(json_extract(w.pod_spec, '$.initContainers[*].resources'), []::json[]),
                lambda res: [
                    json_extract_string(res, '$.limits."' || r || '"'),
                    json_extract_string(res, '$.requests."' || r || '"')
                ]
            )
        ))) as gpu_quantities,
        coalesce(json_array_length(w.pod_spec, '$.containers'), 0) as containers,
        coalesce(list_contains(json_extract_string(w.pod_spec, '$.initContainers[*].restartPolicy'), 'Always'), false)
            as native_sidecar
    from workloads as w
)

select
    sv.service,
    sv.repo,
    sv.owner,
    count(*) as workloads,
    bool_or(len(list_filter(f.gpu_quantities, lambda q: q is not null
        and coalesce(try_cast(regexp_replace(q, '[a-zA-Z]+$', '') as double), 0) > 0)) > 0) as live_gpu,
    bool_or(f.containers >= 2 or f.native_sidecar) as live_sidecar,
    sv.escape_hatch,
    sv.escape_hatch_reasons
from features as f
join staging.services as sv on coalesce(sv.kubernetes_id, sv.service) = f.label_value
group by sv.service, sv.repo, sv.owner, sv.escape_hatch, sv.escape_hatch_reasons
order by sv.service, sv.repo
