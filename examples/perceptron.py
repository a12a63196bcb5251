"""The perceptron of the course: a weighted sum of the inputs plus a bias, through a sigmoid.

    y_hat = sigma(w0 + sum_i w_i * x_i)        sigma(z) = 1 / (1 + e^(-z))

With w0 = 1, w = [3, -2] and x = [-1, 2]:  z = 1 + 3*(-1) + (-2)*2 = -6, so
y_hat = sigma(-6) ~= 0.0025. Autograd then gives the gradient of y_hat with respect to the
weights: d y_hat / d w_i = sigma(z) (1 - sigma(z)) x_i.

Run:  python examples/perceptron.py
"""

import deepgrad as dg

w0 = dg.tensor(1.0, requires_grad=True)              # bias
w = dg.tensor([3.0, -2.0], requires_grad=True)       # weights
x = dg.tensor([-1.0, 2.0])                           # one input

z = w0 + (w * x).sum()
y_hat = dg.sigmoid(z)
print(f"z = w0 + w . x = {z.item():.1f}")
print(f"y_hat = sigmoid({z.item():.0f}) = {y_hat.item():.4f}")

y_hat.backward()
s = y_hat.item()
print(f"d y_hat / d w0 = {w0.grad.item():.6f}   (sigma(z)(1 - sigma(z)) = {s * (1 - s):.6f})")
print(f"d y_hat / d w  = [{w.grad[0].item():.6f}, {w.grad[1].item():.6f}]   "
      f"(sigma(z)(1 - sigma(z)) * x, x = {x.tolist()})")
