"""Training made a sentence: ``fit``, ``Trainer``, callbacks, metrics and ``summary``.

    from deepgrad.train import fit, EarlyStopping
    history = fit(model, (X, y), val_data=(Xv, yv), loss=nn.CrossEntropyLoss(),
                  optimizer=optim.Adam(model.parameters()), epochs=10, metrics=["accuracy"],
                  callbacks=[EarlyStopping(patience=2, restore_best_weights=True)])
"""

from deepgrad.train import metrics
from deepgrad.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    ProgressBar,
    SampleDiversity,
    TensorBoardLogger,
    TerminateOnNaN,
)
from deepgrad.train.generative import GenerativeTrainer, fit_generative
from deepgrad.train.history import History
from deepgrad.train.summary import summary
from deepgrad.train.trainer import Trainer, TrainingInterrupted, evaluate, fit, predict

__all__ = ["fit", "Trainer", "evaluate", "predict", "summary", "History", "metrics",
           "Callback", "CSVLogger", "EarlyStopping", "LRSchedulerCallback", "ModelCheckpoint",
           "ProgressBar", "SampleDiversity", "TensorBoardLogger", "TerminateOnNaN",
           "TrainingInterrupted", "fit_generative", "GenerativeTrainer"]
