-- Question: How did monthly revenue and average order value develop, month over month?
-- Tables: daily_sales
-- Shows: date_trunc to month (a DATE), LAG window, exact DECIMAL division (revenue / orders).
WITH monthly AS (
    SELECT date_trunc('month', order_date) AS month,
           SUM(revenue_usd)                AS revenue_usd,
           SUM(orders)                     AS orders
    FROM daily_sales
    GROUP BY date_trunc('month', order_date)
)
SELECT month,
       format_datetime(month, 'yyyy-MM') AS month_label,
       revenue_usd,
       revenue_usd / orders              AS avg_order_value_usd,
       revenue_usd - lag(revenue_usd) OVER (ORDER BY month) AS change_usd
FROM monthly
ORDER BY month
