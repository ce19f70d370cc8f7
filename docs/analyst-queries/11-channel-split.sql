-- Question: How do web and physical stores compare per region?
-- Tables: daily_sales, stores (dimension)
-- Shows: join, CASE inside aggregates (conditional sums), integer division, try_cast.
SELECT s.region,
       SUM(CASE WHEN s.channel = 'web' THEN d.revenue_usd ELSE 0 END)   AS web_revenue_usd,
       SUM(CASE WHEN s.channel = 'store' THEN d.revenue_usd ELSE 0 END) AS store_revenue_usd,
       SUM(d.units) / SUM(d.orders)                                     AS whole_units_per_order,
       SUM(try_cast(substr(d.store_id, 2) AS integer)) % 7              AS store_checksum
FROM daily_sales d
JOIN stores s ON s.store_id = d.store_id
GROUP BY s.region
ORDER BY s.region
