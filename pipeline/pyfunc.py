"""The model as MLflow serves it: the native LightGBM bundle behind MLflow's pyfunc interface.

Logged as code (MLflow's models-from-code: this file runs when the model loads, nothing is pickled), with the
project's packages shipped beside it. It takes the scoring set as featurize writes it, text columns as text:
the bundle's feature spec turns them into the fixed training categories itself (DESIGN section 5: a pyfunc fed
pre-coded category columns fails MLflow's signature checks).
"""

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

from models.bundle import Bundle, load_bundle, predict

BUNDLE = "bundle"  # the name of the data/model folder among the logged model's artifacts


def predictions(bundle: Bundle, frame: pd.DataFrame) -> pd.DataFrame:
    """P(win), predicted deal value and expected value, named as in the target-account list."""
    return predict(bundle, frame).rename(columns={"amount": "predicted_value"})


class IcpModel(PythonModel):
    def load_context(self, context):
        self.bundle = load_bundle(context.artifacts[BUNDLE])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return predictions(self.bundle, model_input)


mlflow.models.set_model(IcpModel())
