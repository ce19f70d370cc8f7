-- Question: On which weekday do customers spend the most?
-- Tables: daily_sales
-- Shows: day_of_week (ISO: 1 = Monday), format_datetime (Joda pattern), integer division.
SELECT day_of_week(order_date)           AS iso_weekday,
       format_datetime(order_date, 'EEEE') AS weekday,
       COUNT(DISTINCT order_date)        AS days,
       SUM(revenue_usd)                  AS revenue_usd,
       SUM(units) / COUNT(DISTINCT order_date) AS units_per_day
FROM daily_sales
GROUP BY day_of_week(order_date), format_datetime(order_date, 'EEEE')
ORDER BY iso_weekday
