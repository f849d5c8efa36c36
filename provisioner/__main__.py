from provisioner.cli import main

# The guard matters: process pools that spawn re-import __main__ in each worker.
if __name__ == "__main__":
    main()
