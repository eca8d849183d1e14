"""The bundled bring-your-own model: a Keras news-headline classifier for SageMaker.

``train`` and ``serve`` follow the SageMaker bring-your-own-container contract; ``predictor`` is
also imported in-process by the offline runner.
"""
