-- Question: What is the rolling 7-day revenue per day from 9 January 2025 on?
-- Tables: daily_sales
-- Shows: window frame (ROWS BETWEEN 6 PRECEDING AND CURRENT ROW), date_add on a DATE.
WITH daily AS (
    SELECT order_date, SUM(revenue_usd) AS revenue_usd
    FROM daily_sales
    GROUP BY order_date
)
SELECT order_date,
       date_add('day', -6, order_date) AS window_start,
       revenue_usd,
       SUM(revenue_usd) OVER (ORDER BY order_date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)
           AS revenue_7d_usd
FROM daily
WHERE order_date >= DATE '2025-01-09'
ORDER BY order_date
