-- Question: Which ten stores earned the most in January 2025, and where are they?
-- Tables: daily_sales, stores (dimension)
-- Shows: join with a dimension, date-range filter (>= / <), RANK window, LIMIT.
SELECT rank() OVER (ORDER BY SUM(d.revenue_usd) DESC, d.store_id) AS revenue_rank,
       d.store_id,
       s.region,
       s.country,
       SUM(d.revenue_usd) AS revenue_usd
FROM daily_sales d
JOIN stores s ON s.store_id = d.store_id
WHERE d.order_date >= DATE '2025-01-01' AND d.order_date < DATE '2025-02-01'
GROUP BY d.store_id, s.region, s.country
ORDER BY revenue_rank
LIMIT 10
