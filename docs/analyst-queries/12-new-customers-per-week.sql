-- Question: How many new customers did each ISO week bring, and what did they spend?
-- Tables: customer_lifetime
-- Shows: date_trunc('week') on a DATE (Monday), date_add, week(), running total window.
SELECT date_trunc('week', first_order_date)                  AS week_start,
       date_add('day', 6, date_trunc('week', first_order_date)) AS week_end,
       week(first_order_date)                                AS iso_week,
       COUNT(*)                                              AS new_customers,
       SUM(revenue_usd)                                      AS lifetime_revenue_usd,
       SUM(COUNT(*)) OVER (ORDER BY date_trunc('week', first_order_date)) AS customers_so_far
FROM customer_lifetime
GROUP BY date_trunc('week', first_order_date), week(first_order_date)
ORDER BY week_start
