"""Training tasks (`Task`), one module per task, looked up by name with `get_task`."""

from hwsr.pipeline.tasks.base import Task, TaskData, get_task, register_task, registered_tasks
from hwsr.pipeline.tasks.recognition import RecognitionTask
from hwsr.pipeline.tasks.synthesis import PredictionTask, SynthesisTask

__all__ = ["PredictionTask", "RecognitionTask", "SynthesisTask", "Task", "TaskData", "get_task",
           "register_task", "registered_tasks"]
