"""Callbacks for :class:`~deepgrad.train.Trainer` and :func:`~deepgrad.train.fit`."""

from deepgrad.train.callbacks.base import Callback, CallbackList
from deepgrad.train.callbacks.checkpoint import ModelCheckpoint
from deepgrad.train.callbacks.csv_logger import CSVLogger
from deepgrad.train.callbacks.diversity import SampleDiversity
from deepgrad.train.callbacks.early_stopping import EarlyStopping
from deepgrad.train.callbacks.lr_scheduler import LRSchedulerCallback
from deepgrad.train.callbacks.progress import ProgressBar
from deepgrad.train.callbacks.tensorboard import TensorBoardLogger
from deepgrad.train.callbacks.terminate_on_nan import TerminateOnNaN
from deepgrad.train.history import History

__all__ = ["Callback", "CallbackList", "ModelCheckpoint", "CSVLogger", "EarlyStopping",
           "LRSchedulerCallback", "ProgressBar", "SampleDiversity", "TensorBoardLogger",
           "TerminateOnNaN", "History"]
