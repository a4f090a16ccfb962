-- One row per Component entity of the optional Backstage catalog API, with the fields pathlens
-- reads from its JSON: spec.type, spec.owner, spec.lifecycle, the source-template,
-- kubernetes-id, escape-hatch-reason, template-version and github.com/project-slug annotations.
select
    e.entity_ref,
    e.kind,
    e.namespace,
    e.name,
    json_extract_string(e.entity, '$.spec.type') as type,
    json_extract_string(e.entity, '$.spec.owner') as owner,
    json_extract_string(e.entity, '$.spec.lifecycle') as lifecycle,
    json_extract_string(e.entity, '$.metadata.annotations."backstage.io/source-template"') as source_template,
    json_extract_string(e.entity, '$.metadata.annotations."backstage.io/kubernetes-id"') as kubernetes_id,
    json_extract_string(e.entity, '$.metadata.annotations."pathlens.io/escape-hatch-reason"') as escape_hatch_reason,
    nullif(json_extract_string(e.entity, '$.metadata.annotations."backstage.io/template-version"'), '') as template_version,
    json_extract_string(e.entity, '$.metadata.annotations."github.com/project-slug"') as project_slug
from raw.backstage_entities as e
