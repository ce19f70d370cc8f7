-- Question: What share of total revenue does each product category bring?
-- Tables: daily_sales
-- Shows: window over the whole result (SUM() OVER ()), exact DECIMAL division.
SELECT category,
       SUM(revenue_usd) AS revenue_usd,
       CAST(SUM(revenue_usd) AS DECIMAL(18, 4)) / SUM(SUM(revenue_usd)) OVER () AS revenue_share
FROM daily_sales
GROUP BY category
ORDER BY revenue_usd DESC, category
