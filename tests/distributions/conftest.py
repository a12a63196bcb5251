import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # helpers
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # dist_helpers
