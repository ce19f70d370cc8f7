-- Question: How many customers are active, cooling or lapsed as of the latest order date?
-- Tables: customer_lifetime
-- Shows: date_diff in days, CASE, date_add on a DATE, COUNT with FILTER, CROSS JOIN of a one-row CTE.
WITH as_of AS (
    SELECT MAX(last_order_date) AS day FROM customer_lifetime
)
SELECT CASE
           WHEN date_diff('day', c.last_order_date, a.day) <= 2 THEN '1 active'
           WHEN date_diff('day', c.last_order_date, a.day) <= 5 THEN '2 cooling'
           ELSE '3 lapsed'
       END AS recency,
       COUNT(*) AS customers,
       COUNT(*) FILTER (WHERE c.first_order_date >= date_add('day', -3, a.day))
           AS new_in_last_3_days,
       MIN(c.last_order_date) AS earliest_last_order
FROM customer_lifetime c
CROSS JOIN as_of a
GROUP BY 1
ORDER BY 1
