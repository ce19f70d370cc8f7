-- Question: How are customers spread over value tiers, per segment?
-- Tables: customer_lifetime
-- Shows: CASE buckets, COALESCE for inferred customers (null segment), avg of DECIMAL.
SELECT COALESCE(segment, 'unknown') AS segment,
       CASE
           WHEN revenue_usd >= 1000 THEN 'high'
           WHEN revenue_usd >= 300 THEN 'medium'
           ELSE 'low'
       END AS value_tier,
       COUNT(*)          AS customers,
       SUM(orders)       AS orders,
       AVG(revenue_usd)  AS avg_revenue_usd
FROM customer_lifetime
GROUP BY 1, 2
ORDER BY 1, 2
