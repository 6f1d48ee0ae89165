"""The CDK stack of the service and the constructs it is made of."""
