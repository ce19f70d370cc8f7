"""The JVM classes PySpark names on every call are imported by name (ADR 0043).

py4j tries a view's single imports before its star imports; a name imported wrongly
would shadow the class PySpark means (``functions`` would resolve to nothing), so each
must name its class exactly.
"""

from __future__ import annotations

from typing import Any

from goldmine.spark import HOT_CLASSES, import_hot_classes


def test_pysparks_hot_classes_resolve_by_their_short_names_to_themselves(spark: Any):
    from py4j.java_gateway import JavaClass
    from pyspark.sql import functions as F

    import_hot_classes(spark)
    jvm = spark.sparkContext._jvm
    for name in HOT_CLASSES:
        resolved = getattr(jvm, name.rsplit(".", 1)[1])
        assert isinstance(resolved, JavaClass), name  # a class, not a package of that name
        assert resolved._fqn == name
    # PySpark's calls go through them
    assert spark.range(3).select(F.sum(F.col("id") + F.lit(1)).alias("s")).first()["s"] == 6


def test_a_wrong_hot_class_would_shadow_the_class_pyspark_means(spark: Any):
    """What the test above guards: a single import wins over the star imports."""
    from py4j.java_gateway import JavaClass, java_import

    view = spark.sparkContext._gateway.new_jvm_view()
    java_import(view, "org.apache.spark.sql.*")
    assert view.Column._fqn == "org.apache.spark.sql.Column"
    java_import(view, "org.apache.spark.sql.catalyst.expressions.Column")  # no such class
    assert not isinstance(view.Column, JavaClass)
