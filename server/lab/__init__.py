"""The engine: executors run workload tasks, the recorder turns what happened into a run log.

Nothing in here knows about HTTP. Data flows one way:
workload (experiments/) -> probe/stepping (in the task's thread) -> recorder -> run log -> renderers.
"""
