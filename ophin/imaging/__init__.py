"""Frame imaging: de-identification (faces, burned-in text) and clinical-content scoring."""
