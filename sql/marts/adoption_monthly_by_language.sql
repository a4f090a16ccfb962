-- adoption_monthly per language (lower case), from that language's first service's month; the
-- unfiltered result of marts.adoption_grouped(dimension := 'language').
select
    month, group_value as language, services_created, golden_path_created, new_service_adoption,
    services_total, golden_path_total, overall_adoption, below_threshold, threshold, partial, period_end
from marts.adoption_grouped(dimension := 'language')
order by language nulls last, month
