-- Question: How many distinct stores and categories sold something each month?
-- Tables: daily_sales
-- Shows: approx_distinct (HyperLogLog; exact in practice at these small cardinalities,
--        see docs/analysts.md), date_trunc, date_format.
SELECT date_format(date_trunc('month', order_date), '%Y-%m') AS month,
       approx_distinct(store_id) AS active_stores,
       approx_distinct(category) AS active_categories,
       COUNT(*)                  AS store_category_days
FROM daily_sales
GROUP BY date_format(date_trunc('month', order_date), '%Y-%m')
ORDER BY month
