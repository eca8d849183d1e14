"""The bundled container's hyperparameter schema, as it publishes it. Generated; do not edit:

    PYTHONPATH=container python -m byoal_model.hyperparameters --module > byoal/bundled_hyperparameters.py
"""

import json

SCHEMA = json.loads(
    r"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "byoal bundled model hyperparameters",
  "type": "object",
  "properties": {
    "epochs": {
      "type": "integer",
      "minimum": 1,
      "default": 10
    },
    "vocab_size": {
      "type": "integer",
      "minimum": 3,
      "default": 5000
    },
    "max_len": {
      "type": "integer",
      "minimum": 1,
      "default": 100
    },
    "embedding_dim": {
      "type": "integer",
      "minimum": 1,
      "default": 50
    },
    "dropout": {
      "type": "number",
      "minimum": 0.0,
      "exclusiveMaximum": 1.0,
      "default": 0.5
    },
    "batch_size": {
      "type": "integer",
      "minimum": 1,
      "default": 32
    },
    "learning_rate": {
      "type": "number",
      "exclusiveMinimum": 0.0,
      "default": 0.002
    },
    "early_stopping_patience": {
      "type": "integer",
      "minimum": 0,
      "default": 2
    },
    "label_attribute_name": {
      "type": "string",
      "pattern": "\\S",
      "default": "category"
    },
    "num_classes": {
      "type": "integer",
      "minimum": 2
    },
    "label_names": {
      "type": "array",
      "items": {
        "type": "string",
        "pattern": "\\S"
      },
      "minItems": 2,
      "uniqueItems": true
    },
    "seed": {
      "type": "integer",
      "minimum": 0,
      "maximum": 4294967295,
      "default": 0
    },
    "model": {
      "type": "string",
      "enum": [
        "minilm-tfidf",
        "keras-scratch"
      ],
      "default": "minilm-tfidf"
    },
    "logistic_c": {
      "type": "number",
      "exclusiveMinimum": 0.0,
      "default": 10.0
    },
    "embedding_weight": {
      "type": "number",
      "minimum": 0.0,
      "default": 1.0
    },
    "encoder_path": {
      "type": "string",
      "default": ""
    }
  },
  "additionalProperties": false
}
"""
)
