"""spark-submit'ed by test_scale_out_yarn.py: on which hosts did this application's executors and tasks run?
Prints one line, `== hosts {...}`: the NodeManager host of each task's container (YARN sets NM_HOST in it)
and the executors' hosts as the driver knows them."""
import json
import os
import time

from pyspark.sql import SparkSession


def where(_):
    time.sleep(0.2)  # long enough that every executor gets tasks
    return os.environ.get("NM_HOST", "no NM_HOST: not in a YARN container")


spark = SparkSession.builder.appName("lake-scale-out-hosts").getOrCreate()
sc = spark.sparkContext
tasks = sorted(set(sc.parallelize(range(32), 16).map(where).collect()))
driver = sc.getConf().get("spark.driver.host")
executors = sorted({e.host() for e in sc._jsc.sc().statusTracker().getExecutorInfos()} - {driver})
print("== hosts " + json.dumps({"task_nm_hosts": tasks, "executors": executors, "driver": driver}), flush=True)
spark.stop()
