-- adoption_monthly per language (lower case), from that language's first service's month.
select
    month, value as language, services_created, golden_path_created, new_service_adoption,
    services_total, golden_path_total, overall_adoption, below_threshold, threshold
from intermediate.adoption_groups
where dimension = 'language'
order by language nulls last, month
