-- Question: What was the revenue, order count and units per day in the week of 6 to 12 January 2025?
-- Tables: daily_sales
-- Shows: date-range filter (BETWEEN on DATE literals), GROUP BY, ORDER BY.
SELECT order_date,
       SUM(revenue_usd) AS revenue_usd,
       SUM(orders)      AS orders,
       SUM(units)       AS units
FROM daily_sales
WHERE order_date BETWEEN DATE '2025-01-06' AND DATE '2025-01-12'
GROUP BY order_date
ORDER BY order_date
