-- Question: Which stores beat their category's average order value in January 2025, and by how much?
-- Tables: daily_sales, stores (dimension)
-- Shows: gold-with-gold self join through CTEs, AVG window per partition, exact DECIMAL division.
WITH store_category AS (
    SELECT store_id, category,
           SUM(revenue_usd) AS revenue_usd,
           SUM(orders)      AS orders
    FROM daily_sales
    WHERE order_date BETWEEN DATE '2025-01-01' AND DATE '2025-01-31'
    GROUP BY store_id, category
),
with_average AS (
    SELECT store_id, category,
           revenue_usd / orders AS aov_usd,
           AVG(revenue_usd / orders) OVER (PARTITION BY category) AS category_aov_usd
    FROM store_category
)
SELECT w.category, w.store_id, s.channel, w.aov_usd, w.category_aov_usd,
       w.aov_usd - w.category_aov_usd AS above_by_usd
FROM with_average w
JOIN stores s ON s.store_id = w.store_id
WHERE w.aov_usd > w.category_aov_usd
ORDER BY above_by_usd DESC, w.store_id
LIMIT 15
