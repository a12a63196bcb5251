"""Optimizers and learning-rate schedules, with PyTorch's names, defaults and update rules.

    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.1)
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        scheduler.step()
"""

from deepgrad.optim import lr_scheduler, swa_utils
from deepgrad.optim.adadelta import Adadelta
from deepgrad.optim.adafactor import Adafactor
from deepgrad.optim.adagrad import Adagrad
from deepgrad.optim.adam import Adam
from deepgrad.optim.adamax import Adamax
from deepgrad.optim.adamw import AdamW
from deepgrad.optim.asgd import ASGD
from deepgrad.optim.lbfgs import LBFGS
from deepgrad.optim.nadam import NAdam
from deepgrad.optim.optimizer import Optimizer
from deepgrad.optim.radam import RAdam
from deepgrad.optim.rmsprop import RMSprop
from deepgrad.optim.rprop import Rprop
from deepgrad.optim.sgd import SGD

__all__ = ["ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS",
           "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD", "lr_scheduler",
           "swa_utils"]
