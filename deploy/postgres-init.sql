CREATE DATABASE dagster OWNER safetynet;
