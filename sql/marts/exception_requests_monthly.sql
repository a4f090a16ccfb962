-- One row per month from the first request's month through the refresh's month: requests
-- opened and closed in it, still open at its last instant, and the median days to close of
-- those closed in it; the unfiltered result of marts.exception_requests_by_month().
select month, opened, closed, open_at_month_end, median_days_to_close, partial, period_end, opened_change
from marts.exception_requests_by_month()
order by month
