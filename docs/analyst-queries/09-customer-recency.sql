-- Question: How many customers are active, cooling or lapsed as of 2024-03-01?
-- Tables: customer_lifetime
-- Shows: date_diff in days, CASE, date_add on a DATE literal, COUNT with FILTER.
SELECT CASE
           WHEN date_diff('day', last_order_date, DATE '2024-03-01') <= 14 THEN '1 active'
           WHEN date_diff('day', last_order_date, DATE '2024-03-01') <= 35 THEN '2 cooling'
           ELSE '3 lapsed'
       END AS recency,
       COUNT(*) AS customers,
       COUNT(*) FILTER (WHERE first_order_date >= date_add('day', -30, DATE '2024-03-01'))
           AS new_in_last_30_days,
       MIN(last_order_date) AS earliest_last_order
FROM customer_lifetime
GROUP BY 1
ORDER BY 1
