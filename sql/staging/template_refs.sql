-- One row per ref of a template or platform workflow repo (raw.template_refs): `repo` (owner/name,
-- lower case), `kind` ('head': the default branch, `name` its name | 'tag'), the commit `sha`.
select repo, kind, name, lower(sha) as sha
from raw.template_refs
