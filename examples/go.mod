module heapwatch/examples

go 1.19
