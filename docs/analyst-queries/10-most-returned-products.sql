-- Question: Per category, which three products had the highest return rate in January 2025?
-- Tables: product_monthly, products (dimension)
-- Shows: join with a dimension, ROW_NUMBER per partition, filter on a month DATE.
WITH ranked AS (
    SELECT p.category,
           m.product_id,
           m.units,
           m.returned_units,
           m.return_rate,
           row_number() OVER (
               PARTITION BY p.category ORDER BY m.return_rate DESC, m.product_id
           ) AS rank_in_category
    FROM product_monthly m
    JOIN products p ON p.product_id = m.product_id
    WHERE m.month = DATE '2025-01-01'
)
SELECT category, rank_in_category, product_id, units, returned_units, return_rate
FROM ranked
WHERE rank_in_category <= 3
ORDER BY category, rank_in_category
