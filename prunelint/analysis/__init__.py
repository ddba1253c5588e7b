"""Name, scope and autograd-mode facts, computed once per file and shared by all rules."""
