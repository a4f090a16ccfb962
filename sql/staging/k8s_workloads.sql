-- One row per Deployment or StatefulSet as last seen, with the values of its service label
-- (kubernetes.service_label) and fallback label, and what its pod template runs, by the
-- escape-hatch rules of SPEC §3: live_gpu (some container or init container asks for more
-- than 0 of an escape_hatch.gpu_resources resource), live_sidecar (2 or more containers, or
-- an init container with restartPolicy Always).
with labelled as (
    select
        w.cluster,
        w.kind,
        w.namespace,
        w.name,
        w.replicas,
        w.created_at,
        w.pod_spec,
        json_extract_string(w.labels, '$."' || s.service_label || '"') as service_label_value,
        json_extract_string(w.labels, '$."' || s.fallback_label || '"') as fallback_label_value
    from raw.k8s_workloads as w
    cross join config.settings as s
),

features as (
    select
        w.*,
        -- every quantity any container (or init container) asks of a GPU resource, as text
        flatten(flatten(list_transform(
            (select gpu_resources from config.gpu_resources),
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
    from labelled as w
)

select
    cluster,
    kind,
    namespace,
    name,
    replicas,
    created_at,
    service_label_value,
    fallback_label_value,
    len(list_filter(gpu_quantities, lambda q: q is not null
        and coalesce(try_cast(regexp_replace(q, '[a-zA-Z]+$', '') as double), 0) > 0)) > 0 as live_gpu,
    containers >= 2 or native_sidecar as live_sidecar
from features
