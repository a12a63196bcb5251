"""The graph node: an op's forward and backward side by side.

An op subclasses ``Function`` and writes two methods on NumPy arrays:

* ``forward(self, *inputs, **options)`` computes the result and stores on ``self`` exactly what
  backward will need (and nothing more);
* ``backward(self, grad)`` receives dL/d(output) and returns dL/d(input) for every positional
  input (a tuple, or a single array when there is one input; ``None`` where no gradient flows).
  ``self.needs_input_grad[i]`` tells whether input ``i`` wants a gradient at all, so work for
  inputs that don't can be skipped.

``Op.apply(*inputs, **options)`` runs forward on the inputs' arrays (non-Tensor inputs pass
through untouched) and, when grad mode is on and some input requires grad, returns a Tensor
whose ``grad_fn`` is this node. This is the chain rule of backpropagation, one op at a time.
"""

from deepgrad.autograd.grad_mode import GradMode


class Function:
    parents = ()
    needs_input_grad = ()
    hooks = None

    @classmethod
    def apply(cls, *inputs, **options):
        from deepgrad.tensor import Tensor

        node = cls()
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        result = node.forward(*arrays, **options)
        if GradMode.enabled:
            needs = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
            if True in needs:
                node.parents = inputs
                node.needs_input_grad = needs
                node.versions = tuple(x._version if isinstance(x, Tensor) else 0 for x in inputs)
                return Tensor._from_op(result, node)
        return Tensor._from_op(result, None)

    def forward(self, *inputs, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    def name(self):
        return f"{type(self).__name__}Backward"

    def __repr__(self):
        return f"<{self.name()}>"

    def release(self):
        """Drop what forward saved, once backward has run (keeps training memory flat)."""
        self.__dict__.clear()
        self.released = True
